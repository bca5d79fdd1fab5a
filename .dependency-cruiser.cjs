// Reflex's dependency rules, checked by `pnpm test` (task "dependency rules": `depcruise -c .dependency-cruiser.cjs
// packages functions stacks scripts`). The direction is functions → packages, stacks → packages (+ the functions'
// manifests), scripts → anything; nothing points back. Workspace packages resolve through their node_modules
// links to their real paths, so `@reflex/ipam-sync/manifest` is seen as `functions/ipam-sync/src/manifest.ts`.

const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

/** Files that only tests, benchmarks and fixtures load: they may use devDependencies. */
const TEST_ONLY = '(\\.test\\.ts$|(^|/)(test|bench|fixtures)/|(^|/)test-[^/]+\\.ts$)';

/** Each workspace package's folder, by name (`@reflex/events` → `packages/events`). */
const workspace = new Map(
  ['packages', 'functions']
    .flatMap((group) => readdirSync(join(__dirname, group)).map((name) => join(group, name)))
    .concat(['stacks', 'scripts'])
    .filter((dir) => existsSync(join(__dirname, dir, 'package.json')))
    .map((dir) => [JSON.parse(readFileSync(join(__dirname, dir, 'package.json'), 'utf8')).name, dir]),
);

/**
 * dependency-cruiser cannot tell a workspace devDependency from a dependency (both resolve to a path in the
 * repository): one rule per package forbids its published code the workspace packages it lists as dev-only.
 */
const workspaceDevDependencyRules = [...workspace.values()].flatMap((dir) => {
  const { devDependencies = {} } = JSON.parse(readFileSync(join(__dirname, dir, 'package.json'), 'utf8'));
  const devOnly = Object.keys(devDependencies).flatMap((name) => (workspace.has(name) ? [workspace.get(name)] : []));
  if (devOnly.length === 0) return [];
  return [
    {
      name: 'published-code-imports-dev-dependency',
      comment: `${dir} lists ${devOnly.join(', ')} as devDependencies: only its tests, benches and fixtures may import them.`,
      severity: 'error',
      from: { path: `^${dir}/src/`, pathNot: TEST_ONLY },
      to: { path: `^(${devOnly.join('|')})/` },
    },
  ];
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'function-imports-function',
      comment: 'A function is deployed alone: what two functions share belongs in a package (packages/*).',
      severity: 'error',
      from: { path: '^functions/([^/]+)/' },
      to: { path: '^functions/([^/]+)/', pathNot: '^functions/$1/' },
    },
    {
      name: 'package-imports-function-stack-or-script',
      comment: 'Packages are the bottom layer: functions, stacks and scripts build on them, never the reverse.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^(functions|stacks|scripts)/' },
    },
    {
      name: 'function-imports-stack-or-script',
      comment: 'A function bundle holds its own code and packages; the stacks and scripts deploy and drive it.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^(stacks|scripts)/' },
    },
    {
      name: 'stack-imports-script',
      comment: 'The stacks synthesize Terraform; scripts (CLI, local mode, build) drive them, not the reverse.',
      severity: 'error',
      from: { path: '^stacks/' },
      to: { path: '^scripts/' },
    },
    {
      name: 'relative-import-into-another-package',
      comment: 'Reach another workspace package by its name and exports (`@reflex/events/fixtures`), not by ../../',
      severity: 'error',
      from: { path: '^((packages|functions)/[^/]+|stacks|scripts)/' },
      to: { dependencyTypes: ['local'], pathNot: '^$1/' },
    },
    {
      name: 'published-code-imports-dev-dependency',
      comment:
        'A published entry point (src/, exports such as ./testing) may not need a devDependency: whoever depends on the package would not have it. Tests, benches and fixtures may.',
      severity: 'error',
      from: { path: '^(packages|functions)/[^/]+/src/', pathNot: TEST_ONLY },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'published-code-imports-fixtures',
      comment: '@reflex/events/fixtures reads sample events from its folder: tests only (a bundle has no such folder).',
      severity: 'error',
      from: { path: '^(packages|functions|stacks|scripts)/', pathNot: TEST_ONLY },
      to: { path: '^packages/[^/]+/fixtures/' },
    },
    ...workspaceDevDependencyRules,
    {
      name: 'local-services-import-no-workspace-package',
      comment:
        "@reflex/local-aws runs the real local services (moto, PostgreSQL) every package's tests use: importing one of those packages would make that package's tests depend on itself.",
      severity: 'error',
      from: { path: '^packages/local-aws/' },
      to: { path: '^(packages|functions)/', pathNot: '^packages/local-aws/' },
    },
    {
      name: 'no-circular',
      comment: 'Split a cycle by moving what both halves share (often types) into a file of its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing: a typo, or a dependency missing from package.json.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|cdktf\\.out|\\.gen|\\.reflex)/|(^|/)jest\\.config\\.js$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.cjs', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types'],
    },
    // Resolve workspace links to their real paths, so the rules see which package a file belongs to.
    preserveSymlinks: false,
    combinedDependencies: false,
  },
};
