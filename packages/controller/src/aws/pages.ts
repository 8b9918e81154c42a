/**
 * Every page of a paginated AWS list call, fetched one after another: each page's token asks for
 * the next. An empty token ends the list too, since some services send `""` on the last page.
 */
export async function* pages<P>(
  fetch: (token: string | undefined) => Promise<P>,
  nextOf: (page: P) => string | undefined,
): AsyncGenerator<P> {
  let token: string | undefined;
  do {
    const page = await fetch(token);
    yield page;
    token = nextOf(page) || undefined;
  } while (token);
}
