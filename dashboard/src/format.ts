/** Formats a risk in [0, 1] as a whole percentage, or an em dash when unknown. */
export function formatRisk(risk: number | null | undefined): string {
  if (risk == null || !Number.isFinite(risk)) return '—';
  return `${Math.round(risk * 100)} %`;
}
