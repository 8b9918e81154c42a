import type { EdgeSummary } from '@fargate-mirror/analysis';
import cytoscape, { type Core, type ElementDefinition } from 'cytoscape';
import type { UiNode } from '../src/api/ui-api.js';
import { errorColour, formatBytes } from './format.js';

/** Traffic between two nodes, every protocol together (the table keeps them apart). */
interface PairTotals {
  source: string;
  destination: string;
  bytes: number;
  requests: number;
  errors: number;
  connections: number;
  resets: number;
  protocols: Set<string>;
}

const shortTask = (arn: string) => (arn.split('/').at(-1) ?? arn).slice(0, 8);

/**
 * The service map (Cytoscape.js): ECS services as boxes holding their tasks, external addresses as
 * plain nodes, one edge per direction between two nodes, its width growing with the bytes and its
 * colour with the error rate. Placement is fixed (services in a row or a ring, their tasks side by
 * side inside them, external addresses in a row below), so a node that appears moves nothing else
 * far and two loads of the same traffic look the same.
 */
export class ServiceMap {
  private readonly cy: Core;
  private readonly list: HTMLUListElement;
  private shape = '';

  constructor(container: HTMLElement, list: HTMLUListElement) {
    this.list = list;
    this.cy = cytoscape({
      container,
      minZoom: 0.3,
      maxZoom: 3,
      style: [
        {
          selector: 'node',
          style: {
            label: 'data(label)',
            'font-size': 11,
            'text-valign': 'center',
            'background-color': '#8a96a8',
            color: '#1d2430',
            width: 18,
            height: 18,
          },
        },
        {
          selector: 'node.external',
          style: { shape: 'round-rectangle', 'background-color': '#c9d1dc', 'text-valign': 'bottom' },
        },
        {
          selector: 'node.service',
          style: {
            shape: 'round-rectangle',
            'background-color': '#e6eefc',
            'border-color': '#3c6fd1',
            'border-width': 2,
            'text-valign': 'top',
            'font-weight': 'bold',
            'font-size': 13,
            padding: '12px',
            width: 60,
            height: 30,
          },
        },
        {
          selector: 'node.task',
          style: {
            'background-color': '#3c6fd1',
            'font-size': 8,
            'text-valign': 'bottom',
            width: 12,
            height: 12,
          },
        },
        {
          selector: 'edge',
          style: {
            width: 'data(width)',
            'line-color': 'data(colour)',
            'target-arrow-color': 'data(colour)',
            'target-arrow-shape': 'triangle',
            'curve-style': 'bezier',
            label: 'data(label)',
            'font-size': 9,
            'text-rotation': 'autorotate',
            'text-background-color': '#ffffff',
            'text-background-opacity': 0.8,
          },
        },
      ],
    });
  }

  update(allNodes: readonly UiNode[], allEdges: readonly EdgeSummary[]): void {
    const { nodes, edges } = collapseExternals(allNodes, allEdges);
    const elements: ElementDefinition[] = [];
    for (const n of nodes) {
      elements.push({ group: 'nodes', data: { id: `n:${n.id}`, label: n.id }, classes: n.kind });
      for (const arn of n.tasks) {
        elements.push({
          group: 'nodes',
          data: { id: `t:${arn}`, parent: `n:${n.id}`, label: shortTask(arn) },
          classes: 'task',
        });
      }
    }
    for (const p of pairs(edges)) {
      const rate = p.requests > 0 ? p.errors / p.requests : p.connections > 0 ? p.resets / p.connections : 0;
      elements.push({
        group: 'edges',
        data: {
          id: `e:${p.source}\u0001${p.destination}`,
          source: `n:${p.source}`,
          target: `n:${p.destination}`,
          width: Math.min(14, 1 + 2.5 * Math.log10(1 + p.bytes / 1024)),
          colour: errorColour(rate),
          label: `${[...p.protocols].sort().join('+')} ${formatBytes(p.bytes)}`,
        },
      });
    }
    const shape = elements
      .filter((e) => e.group === 'nodes')
      .map((e) => e.data.id)
      .sort()
      .join('\n');
    const cy = this.cy;
    cy.batch(() => {
      const wanted = new Set(elements.map((e) => e.data.id as string));
      cy.elements().forEach((el) => {
        if (!wanted.has(el.id())) el.remove();
      });
      for (const e of elements) {
        const existing = cy.getElementById(e.data.id as string);
        if (existing.nonempty()) existing.data(e.data);
        else cy.add(e);
      }
    });
    if (shape !== this.shape) {
      this.shape = shape;
      cy.layout({ name: 'preset', positions: placement(nodes), fit: true, padding: 30 }).run();
      this.renderList(nodes);
    }
  }

  /** The nodes as text beside the canvas: what a screen reader (and a test) reads. */
  private renderList(nodes: readonly UiNode[]): void {
    const items = nodes.map((n) => {
      const li = document.createElement('li');
      li.className = n.kind;
      li.dataset.node = n.id;
      li.textContent = n.kind === 'service' ? `${n.id} (${n.tasks.length} tasks)` : n.id;
      return li;
    });
    this.list.replaceChildren(...items);
  }
}

function pairs(edges: readonly EdgeSummary[]): PairTotals[] {
  const out = new Map<string, PairTotals>();
  for (const e of edges) {
    const key = `${e.source}\u0001${e.destination}`;
    let p = out.get(key);
    if (p === undefined) {
      p = {
        source: e.source,
        destination: e.destination,
        bytes: 0,
        requests: 0,
        errors: 0,
        connections: 0,
        resets: 0,
        protocols: new Set(),
      };
      out.set(key, p);
    }
    p.bytes += e.bytesOut + e.bytesIn;
    p.requests += e.requests;
    p.errors += e.http4xx + e.http5xx + e.dnsFailures;
    p.connections += e.connections;
    p.resets += e.tcpResets;
    p.protocols.add(e.protocol);
  }
  return [...out.values()];
}

const TASK_GAP = 44;
const SERVICE_GAP = 320;

/** Positions of the leaf nodes (a service box follows its tasks); by node id. */
function placement(nodes: readonly UiNode[]): Record<string, { x: number; y: number }> {
  const at: Record<string, { x: number; y: number }> = {};
  const services = nodes.filter((n) => n.kind === 'service');
  const externals = nodes.filter((n) => n.kind === 'external');
  const ring = services.length > 4;
  const radius = ring ? (services.length * SERVICE_GAP) / (2 * Math.PI) : 0;
  services.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / services.length - Math.PI / 2;
    const cx = ring ? radius * Math.cos(angle) : (i - (services.length - 1) / 2) * SERVICE_GAP;
    const cy = ring ? radius * Math.sin(angle) : 0;
    if (n.tasks.length === 0) at[`n:${n.id}`] = { x: cx, y: cy };
    n.tasks.forEach((arn, j) => {
      at[`t:${arn}`] = { x: cx + (j - (n.tasks.length - 1) / 2) * TASK_GAP, y: cy };
    });
  });
  const below = (ring ? radius : 0) + 200;
  const gap = Math.max(140, (Math.max(1, services.length) * SERVICE_GAP) / Math.max(1, externals.length));
  externals.forEach((n, i) => {
    at[`n:${n.id}`] = { x: (i - (externals.length - 1) / 2) * gap, y: below };
  });
  return at;
}

/** External addresses drawn one by one; the others become one node (a replay or a scan has thousands). */
const MAX_EXTERNALS = 12;
const OTHERS = 'other addresses';

/** The busiest external addresses as they are, the rest merged into one `other addresses (N)` node. */
function collapseExternals(
  nodes: readonly UiNode[],
  edges: readonly EdgeSummary[],
): { nodes: UiNode[]; edges: EdgeSummary[] } {
  const externals = nodes.filter((n) => n.kind === 'external');
  if (externals.length <= MAX_EXTERNALS) return { nodes: [...nodes], edges: [...edges] };
  const bytes = new Map<string, number>();
  for (const e of edges) {
    for (const id of [e.source, e.destination]) bytes.set(id, (bytes.get(id) ?? 0) + e.bytesOut + e.bytesIn);
  }
  const kept = new Set(
    externals
      .sort((a, b) => (bytes.get(b.id) ?? 0) - (bytes.get(a.id) ?? 0) || a.id.localeCompare(b.id))
      .slice(0, MAX_EXTERNALS - 1)
      .map((n) => n.id),
  );
  const others = `${OTHERS} (${externals.length - kept.size})`;
  const external = new Set(externals.map((n) => n.id));
  const rename = (id: string) => (external.has(id) && !kept.has(id) ? others : id);
  return {
    nodes: [
      ...nodes.filter((n) => n.kind === 'service' || kept.has(n.id)),
      { id: others, kind: 'external', tasks: [] },
    ],
    edges: edges.map((e) => ({ ...e, source: rename(e.source), destination: rename(e.destination) })),
  };
}
