/** Why one image of a task failed, in small type under its name; nothing when it did not. */
export function ItemError({ error }: { error: string | null | undefined }) {
  return error ? <span className="block text-xs text-destructive">{error}</span> : null;
}
