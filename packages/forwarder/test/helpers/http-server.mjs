// A small HTTP server for the lab: GET /bytes/N answers N bytes, POST/PUT answers how many bytes it
// received. Listens on every address of its namespace; prints "listening PORT" when ready.
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const server = createServer((req, res) => {
  let received = 0;
  req.on('data', (c) => {
    received += c.length;
  });
  req.on('end', () => {
    const m = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && m) {
      const body = Buffer.alloc(Number(m[1]));
      for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 10)) & 0xff;
      res.setHeader('content-type', 'application/octet-stream');
      res.end(body);
    } else {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, received }));
    }
  });
});
server.listen(port, '::', () => console.log(`listening ${port}`));
