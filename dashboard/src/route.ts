/** The dashboard's pages, addressed by the URL hash so any static server can serve it. */
export type Route =
  | { page: 'overview'; query: URLSearchParams }
  | { page: 'detail'; namespace: string; name: string }
  | { page: 'whatif'; namespace?: string; name?: string }
  | { page: 'humans' }
  | { page: 'notfound'; path: string };

/** `#/`, `#/?ns=prod`, `#/d/prod/checkout`, `#/what-if`, `#/what-if/prod/checkout`. */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [path = '/', search = ''] = raw.split('?', 2);
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  if (parts.length === 0) return { page: 'overview', query: new URLSearchParams(search) };
  if (parts[0] === 'd' && parts.length === 3)
    return { page: 'detail', namespace: parts[1]!, name: parts[2]! };
  if (parts[0] === 'what-if' && parts.length === 1) return { page: 'whatif' };
  if (parts[0] === 'humans' && parts.length === 1) return { page: 'humans' };
  if (parts[0] === 'what-if' && parts.length === 3)
    return { page: 'whatif', namespace: parts[1]!, name: parts[2]! };
  return { page: 'notfound', path };
}

const seg = encodeURIComponent;

export function hrefOverview(query = ''): string {
  return query ? `#/?${query}` : '#/';
}
export function hrefDetail(namespace: string, name: string): string {
  return `#/d/${seg(namespace)}/${seg(name)}`;
}
export function hrefWhatIf(namespace?: string, name?: string): string {
  return namespace && name ? `#/what-if/${seg(namespace)}/${seg(name)}` : '#/what-if';
}
export function hrefHumans(): string {
  return '#/humans';
}
