#!/usr/bin/env node
// Packs what the GPU device check needs into one folder that travels to a GPU machine (device tool: carry [".gpu"]).
// That machine has no Node.js, no npm registry and takes 64 MiB of files in all (the repo's tracked files included),
// while node_modules is 800 MB: so the pack holds this Node binary, the compiled dist/, the packages the check loads
// (closure of their package.json dependencies, only linux-x64 binaries, no source maps, typings or docs), npm `webgpu`
// and @tensorflow/tfjs-backend-webgpu (installed into a cache of their own, the checkout's node_modules untouched),
// the oracle files of the training parity, and Debian's Vulkan loader. It then unpacks into a copy of the working
// tree and runs the check from there: on the CPU paths, on the WebGPU paths (which answer "no adapter" on a machine
// without a GPU) and, where chromium's SwiftShader Vulkan driver is installed, on the WebGPU paths over it.
//   node scripts/gpuBundle.js [--out .gpu] [--level 6] [--skip-vulkan] [--no-build] [--no-self-check] [--no-rehearsal]
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.resolve(__dirname, '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(root, '.gpu') },
    level: { type: 'string', default: '6' },
    'skip-vulkan': { type: 'boolean', default: false },
    'no-self-check': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'no-rehearsal': { type: 'boolean', default: false },
  },
});
const LIMIT = 64 * 2 ** 20; // the device tool's limit on everything that travels
const GPU_PACKAGES = ['webgpu@0.6.2', '@tensorflow/tfjs-backend-webgpu@4.22.0'];
const LOADER_PACKAGES = ['libvulkan1', 'libglvnd0', 'libegl1', 'libgl1', 'libglx0', 'libopengl0', 'libgles2'];
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
const sharedDir = process.env.WBCT_SHARED ?? path.resolve(root, '..', 'shared');
// A Vulkan driver that runs on the CPU (SwiftShader, shipped by Debian's chromium): Dawn gets an adapter from it, so
// the WebGPU paths of the check run here for real, slowly, as a rehearsal of the device run.
const SOFTWARE_VULKAN_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function step(what) {
  console.log(`gpu-bundle: ${what}`);
}

/** The package folder `name` resolves to from `from` (a folder), walking node_modules upwards like require. */
function packageDir(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Bare module names required (statically) by the compiled files reachable from `entries`. */
function bareImports(entries) {
  const seen = new Set();
  const bare = new Set();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/require\(["']([^"']+)["']\)/g)) {
      const id = m[1];
      if (id.startsWith('node:')) continue;
      if (id.startsWith('.')) {
        const target = require.resolve(path.resolve(path.dirname(file), id));
        if (target.endsWith('.js')) queue.push(target);
      } else if (!require('node:module').isBuiltin(id)) {
        bare.add(id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]);
      }
    }
  }
  return bare;
}

/** Package folders of `names` and everything they depend on at run time (@types/* and @webgpu/types hold no code). */
function closure(names, from) {
  const dirs = new Map();
  const queue = names.map((n) => [n, from]);
  while (queue.length > 0) {
    const [name, base] = queue.pop();
    if (name.startsWith('@types/') || name === '@webgpu/types') continue;
    const dir = packageDir(name, base);
    if (!dir) throw new Error(`package ${name} not found from ${base}`);
    if (dirs.has(dir)) continue;
    dirs.set(dir, name);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
    for (const dep of Object.keys(deps)) {
      if (packageDir(dep, dir)) queue.push([dep, dir]);
      else if (!(pkg.optionalDependencies && dep in pkg.optionalDependencies)) throw new Error(`${name} needs ${dep}, which is not installed`);
    }
  }
  return dirs;
}

/** Whether a file of package `name` (path relative to the package) travels. */
function keep(name, rel) {
  const base = path.basename(rel);
  if (/^(license|licence|notice)/i.test(base) || base === 'package.json') return true;
  if (/\.(map|d\.ts|d\.mts|d\.cts|ts|md|markdown|flow)$/i.test(base)) return false;
  if (/(^|\/)(test|tests|__tests__|docs?|examples?|build)\//.test(rel)) return false;
  if (name.startsWith('@tensorflow/')) return /^dist\/[^/]+\.node\.js$/.test(rel) || /^dist\/[^/]+\.wasm$/.test(rel) || /^dist\/[^/]*worker[^/]*\.js$/.test(rel);
  if (name === 'onnxruntime-node' && rel.startsWith('bin/')) return rel.startsWith('bin/napi-v6/linux/x64/');
  if (name === 'webgpu' && rel.startsWith('dist/')) return rel.startsWith('dist/linux-x64/');
  return true;
}

/** Which package (folder and version) each destination folder in the pack came from. */
const packedFrom = new Map();

function copyPackage(dir, name, destRoot) {
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  const earlier = packedFrom.get(destRoot);
  if (earlier && earlier.version !== version) throw new Error(`${name}: ${earlier.version} (${earlier.dir}) and ${version} (${dir}) would share ${destRoot}`);
  if (earlier) return 0;
  packedFrom.set(destRoot, { dir, version });
  let bytes = 0;
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (r === 'node_modules' || r.endsWith('/node_modules')) continue; // nested packages travel as packages of their own
        walk(r);
      } else if (entry.isFile() && keep(name, r)) {
        const to = path.join(destRoot, r);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.copyFileSync(path.join(dir, r), to);
        bytes += fs.statSync(to).size;
      }
    }
  };
  walk('');
  return bytes;
}

function copyTree(from, to) {
  fs.cpSync(from, to, { recursive: true });
}

function stripSymbols(file, flags) {
  try {
    run('strip', [...flags, file]);
  } catch (e) {
    step(`not stripped (${e.message.split('\n')[0]}): ${path.basename(file)}`);
  }
}

/** The oracle is read-only: its copies get u+w, or a non-root user could not remove them (or the self-check's copy). */
function makeWritable(dir) {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(p);
    else fs.chmodSync(p, 0o644);
  }
}

/** sha256sum -c lines for the sources dist/ is compiled from, so that the device run can tell a stale pack. */
function sourceChecksums() {
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', 'src', 'bench', 'web/src', 'scripts'], { cwd: root }).split('\0').filter((f) => f && fs.existsSync(path.join(root, f)));
  const crypto = require('node:crypto');
  return files.map((f) => `${crypto.createHash('sha256').update(fs.readFileSync(path.join(root, f))).digest('hex')}  ${f}\n`).join('');
}

/** npm `webgpu` and tfjs-backend-webgpu, installed once into a cache beside the pack (the registry is needed once). */
function gpuPackagesDir() {
  const cache = path.join(os.homedir(), '.cache', 'wbct-gpu-packages');
  const marker = path.join(cache, `installed-${GPU_PACKAGES.join('+').replace(/[@/]/g, '_')}`);
  if (!fs.existsSync(marker)) {
    step(`installing ${GPU_PACKAGES.join(' ')} into ${cache}`);
    fs.mkdirSync(cache, { recursive: true });
    fs.writeFileSync(path.join(cache, 'package.json'), '{"private":true}\n');
    run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', cache, ...GPU_PACKAGES], { stdio: 'inherit' });
    fs.writeFileSync(marker, '');
  }
  return cache;
}

function main() {
  const final = path.resolve(values.out);
  if (final === root || root.startsWith(final + path.sep)) throw new Error(`--out ${values.out}: the pack's folder is replaced whole, so it cannot hold the checkout`);
  const oracle = path.join(sharedDir, 'oracle', 'train_step');
  if (!fs.existsSync(path.join(oracle, 'loss.json'))) throw new Error(`no MONAI training oracle at ${oracle} (set WBCT_SHARED to the folder that holds oracle/)`);
  // Built beside the old pack and swapped in at the end: a failed run leaves the old one as it was.
  const out = `${final}.new`;
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-gpu-stage-'));
  try {
    if (!values['no-build']) {
      step('building dist/ afresh');
      fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
      run('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    }
    copyTree(path.join(root, 'dist'), path.join(stage, 'dist'));

    const entries = ['bench/gpuCheck.js', 'src/model/webGpuProbeMain.js'].map((f) => path.join(root, 'dist', f));
    const roots = [...bareImports(entries), '@tensorflow/tfjs-backend-wasm'];
    const gpuCache = gpuPackagesDir();
    let bytes = 0;
    const packages = closure(roots, root);
    // The GPU packages resolve their own dependencies in the cache, except tfjs-core and tfjs-backend-cpu: one copy of
    // tfjs, the checkout's (same version), or the backend would register itself with a tfjs nobody uses.
    for (const [dir, name] of closure(['webgpu', '@tensorflow/tfjs-backend-webgpu'], gpuCache)) {
      if (name === '@tensorflow/tfjs-core' || name === '@tensorflow/tfjs-backend-cpu') continue;
      packages.set(dir, name);
    }
    for (const [dir, name] of packages) {
      const nested = path.relative(dir.startsWith(gpuCache) ? gpuCache : root, dir);
      bytes += copyPackage(dir, name, path.join(stage, nested));
    }
    step(`${packages.size} packages (${mib(bytes)} before compression)`);

    fs.mkdirSync(path.join(stage, '.gpu', 'bin'), { recursive: true });
    fs.copyFileSync(process.execPath, path.join(stage, '.gpu', 'bin', 'node'));
    fs.chmodSync(path.join(stage, '.gpu', 'bin', 'node'), 0o755);
    // Debian's Node and Dawn's binding carry their symbol tables and debug information: 6 MiB of the pack, compressed.
    stripSymbols(path.join(stage, '.gpu', 'bin', 'node'), ['--strip-all']);
    stripSymbols(path.join(stage, 'node_modules', 'webgpu', 'dist', 'linux-x64', 'dawn.node'), ['--strip-unneeded']);
    const { TRAIN_ORACLE_FILES } = require(path.join(root, 'dist', 'bench', 'gpu', 'trainCheck.js'));
    for (const f of [...TRAIN_ORACLE_FILES, 'README.md']) fs.cpSync(path.join(oracle, f), path.join(stage, '.gpu', 'oracle', 'train_step', f), { recursive: true });
    makeWritable(path.join(stage, '.gpu', 'oracle'));

    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    const head = (() => {
      try {
        return run('git', ['rev-parse', 'HEAD'], { cwd: root }).trim();
      } catch {
        return 'unknown';
      }
    })();
    fs.writeFileSync(path.join(out, 'STAMP'), `wbct GPU pack of ${head}, made ${new Date().toISOString()} with Node ${process.version}\n`);
    fs.writeFileSync(path.join(out, 'sources.sha256'), sourceChecksums());
    if (!values['skip-vulkan']) {
      // The Vulkan loader, and the GL dispatch libraries NVIDIA's ICD library links against: the set the device
      // tool's README names for Vulkan on the lent machines.
      step(`downloading ${LOADER_PACKAGES.join(' ')} (Debian)`);
      fs.mkdirSync(path.join(out, 'debs'));
      run('apt-get', ['download', ...LOADER_PACKAGES], { cwd: path.join(out, 'debs'), stdio: 'inherit' });
    }
    step(`compressing (xz -${values.level})`);
    const tarball = path.join(out, 'wbct-gpu.tar.xz');
    run('tar', ['-C', stage, '-cf', tarball, '--use-compress-program', `xz -T2 -${Number(values.level)}`, '.'], { stdio: 'inherit' });

    const tree = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root })
      .split('\0')
      .filter((f) => f && fs.existsSync(path.join(root, f)) && ![out, final].some((d) => path.resolve(root, f).startsWith(d + path.sep)));
    const treeBytes = tree.reduce((n, f) => n + fs.statSync(path.join(root, f)).size, 0);
    const packBytes = fs.readdirSync(out, { recursive: true }).reduce((n, f) => n + (fs.statSync(path.join(out, f)).isFile() ? fs.statSync(path.join(out, f)).size : 0), 0);
    const total = treeBytes + packBytes;
    step(`pack ${mib(packBytes)} + working tree ${mib(treeBytes)} = ${mib(total)} of the ${mib(LIMIT)} that travel`);
    if (total > LIMIT) throw new Error(`the pack and the working tree are ${mib(total)}, over the ${mib(LIMIT)} a device run takes`);

    if (!values['no-self-check']) selfCheck(tree, out);
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(out, final);
    step(`ready: ${path.relative(root, final) || final} (device run: carry [".gpu"], command "bash scripts/gpu-check.sh", timeout_s 540)`);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** Unpacks into a copy of the working tree and runs both parts on the CPU, as scripts/gpu-check.sh would. */
function selfCheck(tree, out) {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-gpu-selfcheck-'));
  try {
    step(`self-check in ${copy}`);
    for (const f of tree) {
      fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
      fs.copyFileSync(path.join(root, f), path.join(copy, f));
    }
    run('tar', ['-C', copy, '-xJf', path.join(out, 'wbct-gpu.tar.xz')]);
    run('sha256sum', ['--quiet', '-c', path.join(out, 'sources.sha256')], { cwd: copy });
    const env = { PATH: '/usr/bin:/bin', HOME: copy, WBCT_SHARED: path.join(copy, 'no-shared') };
    const node = path.join(copy, '.gpu', 'bin', 'node');
    /** Runs one part; `noAdapter` is the output that makes exit status 2 acceptable (a GPU path without an adapter). */
    const check = (args, noAdapter) => {
      const started = Date.now();
      const took = () => `${Math.round((Date.now() - started) / 1000)} s`;
      try {
        // 20 minutes a part: the rehearsal's training part takes 5 on an idle 2-core machine, and CI runs it beside
        // other suites.
        process.stdout.write(run(node, ['dist/bench/gpuCheck.js', ...args], { cwd: copy, env, timeout: 1_200_000 }));
        step(`self-check ${args.join(' ')}: done in ${took()}`);
      } catch (e) {
        process.stdout.write(`${e.stdout ?? ''}${e.stderr ?? ''}`);
        if (!(e.status === 2 && noAdapter && noAdapter.test(e.stdout ?? ''))) throw new Error(`self-check ${args.join(' ')}: ${e.status === null ? `killed (${e.signal})` : `exit status ${e.status}`} after ${took()}`);
        step(`self-check ${args.join(' ')}: no adapter, as expected, in ${took()}`);
      }
    };
    check(['--part', 'infer', '--ort-device', 'cpu', '--window', '32']);
    check(['--part', 'train', '--tf-backend', 'wasm', '--oracle', '.gpu/oracle', '--window', '16', '--batch', '1', '--steps', '1']);
    // The WebGPU paths from the pack: on a machine without a GPU they stop at the adapter (2); with one they run.
    check(['--part', 'infer', '--window', '16'], /onnxruntime webgpu: no adapter \(/);
    check(['--part', 'train', '--oracle', '.gpu/oracle', '--window', '8', '--batch', '1', '--steps', '1'], /TensorFlow.js webgpu: .* is not available \(.*webgpu: /);
    if (!values['no-rehearsal'] && fs.existsSync(SOFTWARE_VULKAN_ICD)) {
      // And on SwiftShader: both parities must hold there (minutes: a CPU emulating a GPU).
      step(`rehearsal on a software GPU (VK_DRIVER_FILES=${SOFTWARE_VULKAN_ICD})`);
      env.VK_DRIVER_FILES = SOFTWARE_VULKAN_ICD;
      check(['--part', 'infer', '--window', '16']);
      check(['--part', 'train', '--oracle', '.gpu/oracle', '--window', '8', '--batch', '1', '--steps', '1']);
    } else step('no rehearsal on a software GPU (no SwiftShader Vulkan driver here, or --no-rehearsal)');
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`gpu-bundle: ${e.message}`);
  process.exitCode = 1;
}
