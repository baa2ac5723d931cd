import { VARIABLES, type VariableSpec } from './variables.js';

/**
 * Renders `.env.example`: every variable grouped as in the settings table, with its default and a
 * one-line comment. Secrets are left empty with a pointer to the commands that generate them.
 */
export function renderEnvExample(): string {
  const lines = [
    '# Duckling settings. Copy to .env, or run "duckling init" to write one with random secrets.',
    '# Every variable is optional unless its comment says otherwise; the value shown is the default.',
    '# Generate a secret with "duckling gen-key".',
  ];
  let currentGroup = '';
  for (const spec of VARIABLES) {
    if (spec.group !== currentGroup) {
      currentGroup = spec.group;
      lines.push('', `# --- ${currentGroup} ---`);
    }
    lines.push(`# ${describe(spec)}`, `${spec.name}=${spec.default}`);
  }
  return `${lines.join('\n')}\n`;
}

function describe(spec: VariableSpec): string {
  if (spec.kind.type === 'enum') return `${spec.description} (${spec.kind.values.join(' | ')})`;
  return spec.description;
}
