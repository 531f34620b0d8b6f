import { Api, ApiFailure, type UiConfig, type UserInfo } from './api.js';
import { byId, download, element } from './dom.js';
import { InferOptions, type ModelInfo } from './inferOptions.js';
import { LabelTable } from './labelTable.js';
import { runInference, type InferOutcome } from './runInference.js';
import { StructureTable, statisticsCsv, type StatisticsReport } from './structureTable.js';
import { Viewer, type Tool, type View, type WindowName } from './viewer.js';

interface DataModel {
  readonly ext: string;
  readonly info: Record<string, unknown>;
}
interface DatastoreDump {
  readonly objects: Readonly<Record<string, { readonly image: DataModel; readonly labels: Readonly<Record<string, DataModel>> }>>;
}
interface AppInfo {
  readonly models: Readonly<Record<string, ModelInfo>>;
}

const ROLES = ['user', 'annotator', 'reviewer', 'admin'];
const api = new Api();

function setStatus(text: string, isError = false): void {
  const status = byId('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Lets `fn` fail into the status line instead of an unhandled rejection. */
function guarded(fn: () => Promise<void>): () => void {
  return () => {
    fn().catch((e: unknown) => setStatus(errorText(e), true));
  };
}

async function main(): Promise<void> {
  const config = await api.request<UiConfig>('GET', '/ui/config.json');
  byId('app-name').textContent = `${config.app} ${config.version}`;
  if (config.auth && !api.loggedIn) return showLogin();
  let user: UserInfo;
  try {
    user = config.auth ? await api.request<UserInfo>('GET', '/auth/token/valid') : { username: 'anonymous (auth off)', roles: ROLES };
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) {
      api.logout();
      return showLogin();
    }
    throw e;
  }
  await startApp(config, user);
}

function showLogin(): void {
  const form = byId<HTMLFormElement>('login');
  form.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const error = byId('login-error');
    error.textContent = '';
    api
      .login(byId<HTMLInputElement>('login-user').value, byId<HTMLInputElement>('login-password').value)
      .then(() => location.reload())
      .catch((e: unknown) => (error.textContent = errorText(e)));
  });
}

async function startApp(config: UiConfig, user: UserInfo): Promise<void> {
  const canSubmit = user.roles.some((r) => r === 'annotator' || r === 'reviewer' || r === 'admin');
  byId('user').textContent = `${user.username} (${user.roles.join(', ')})`;
  const logout = byId<HTMLButtonElement>('logout');
  logout.hidden = !config.auth;
  logout.addEventListener('click', () => {
    api.logout();
    location.reload();
  });
  byId('app').hidden = false;
  byId('dicom-downloads').hidden = !config.dicom;

  const labels = new LabelTable(config.labels);
  const viewer = await Viewer.attach(byId<HTMLCanvasElement>('viewer'), labels, (h) => {
    byId('hover').textContent = `${h.mm.map((v) => v.toFixed(1)).join(', ')} mm  ${Number.isFinite(h.hu) ? `${h.hu.toFixed(0)} HU` : ''}  ${h.label > 0 ? labels.name(h.label) : ''}`;
  });
  const info = await api.request<AppInfo>('GET', '/info/');
  const options = new InferOptions(byId('model'), byId('infer-options'), byId('model-description'), info.models);

  let images: DatastoreDump['objects'] = {};
  let current: string | null = null;
  let statistics: StatisticsReport | null = null;
  let running: { cancel(): Promise<void> } | null = null;

  const structures = new StructureTable(byId<HTMLTableElement>('structure-table'), labels, {
    goTo: (label, stats) => {
      const centre = stats?.centroid ?? viewer.labelCentre(label);
      if (centre) viewer.goTo(centre);
    },
    setHidden: (label, hidden) => viewer.setHidden(label, hidden),
  });
  byId<HTMLInputElement>('structure-filter').addEventListener('input', (e) => structures.setFilter((e.target as HTMLInputElement).value));
  const refreshStructures = () => structures.show(viewer.labelCounts(), statistics);

  const penLabel = byId<HTMLSelectElement>('pen-label');
  penLabel.replaceChildren(...labels.all().map((l) => element('option', { value: String(l.value), textContent: `${l.value} ${l.name}` })));

  const setButtons = () => {
    const open = current !== null;
    byId<HTMLButtonElement>('run').disabled = !open || running !== null;
    byId<HTMLButtonElement>('cancel').disabled = running === null;
    byId<HTMLButtonElement>('submit').disabled = !open || !canSubmit || running !== null;
    byId<HTMLButtonElement>('submit').title = canSubmit ? 'stores the label map as this image\'s "final" label' : 'your role (user) may not submit labels: an annotator may';
    byId<HTMLButtonElement>('download-label').disabled = !open;
    byId<HTMLButtonElement>('download-stats-json').disabled = statistics === null;
    byId<HTMLButtonElement>('download-stats-csv').disabled = statistics === null;
    byId<HTMLButtonElement>('download-seg').disabled = !open || running !== null;
    byId<HTMLButtonElement>('download-rtstruct').disabled = !open || running !== null;
  };

  const statusOf = (id: string): 'final' | 'original' | 'none' => {
    const tags = images[id]?.labels ?? {};
    return 'final' in tags ? 'final' : 'original' in tags ? 'original' : 'none';
  };

  const renderImages = () => {
    const query = byId<HTMLInputElement>('image-search').value.trim().toLowerCase();
    const items = Object.keys(images)
      .sort()
      .filter((id) => query === '' || id.toLowerCase().includes(query))
      .map((id) => {
        const status = statusOf(id);
        const item = element('li', { className: id === current ? 'selected' : '', title: id }, [element('span', { className: 'image-id', textContent: id }), element('span', { className: `badge ${status}`, textContent: status })]);
        item.dataset.image = id;
        item.addEventListener(
          'click',
          guarded(async () => {
            // A run's result belongs to the image it was run on.
            if (running) return setStatus('a run is going on: wait for it or cancel it before opening another image', true);
            await openImage(id);
          }),
        );
        return item;
      });
    byId('image-list').replaceChildren(...items);
  };

  const loadImages = async () => {
    images = (await api.request<DatastoreDump>('GET', '/datastore/?output=all')).objects;
    renderImages();
  };

  const openImage = async (id: string) => {
    const entry = images[id];
    if (!entry) throw new Error(`image "${id}" is not in the datastore`);
    setStatus(`opening ${id} ...`);
    current = id;
    statistics = null;
    renderImages();
    await viewer.openCt(`/datastore/image?image=${encodeURIComponent(id)}`, `image${entry.image.ext}`, api.authHeaders);
    const tag = statusOf(id);
    if (tag !== 'none') {
      const res = await api.fetch('GET', `/datastore/label?label=${encodeURIComponent(id)}&tag=${tag}`);
      const ok = await viewer.showLabels(await res.arrayBuffer(), `label${entry.labels[tag]?.ext ?? '.nii.gz'}`);
      if (!ok) setStatus(`the ${tag} label of ${id} is not on the image's grid; not shown`, true);
    }
    byId('image-title').textContent = `${id}: ${tag === 'none' ? 'no label yet' : `${tag} label`}`;
    refreshStructures();
    setButtons();
    setStatus(`${id} open`);
  };

  const showOutcome = async (outcome: InferOutcome) => {
    await viewer.showLabels(outcome.label, outcome.labelName);
    statistics = outcome.statistics;
    refreshStructures();
    byId('image-title').textContent = `${current ?? ''}: result of ${outcome.model} (not stored; submit to keep it)`;
  };

  byId('run').addEventListener(
    'click',
    guarded(async () => {
      if (current === null) return;
      const progress = byId<HTMLProgressElement>('progress');
      const status = byId('job-status');
      const run = runInference(api, { model: options.model, image: current, params: { ...options.params(), statistics: true, result_extension: '.nii.gz', result_dtype: 'uint8' } }, (text, fraction) => {
        status.textContent = text;
        progress.value = fraction;
      });
      running = run;
      setButtons();
      try {
        const outcome = await run.result;
        await showOutcome(outcome);
        status.textContent = `done in ${outcome.seconds.toFixed(1)} s on ${outcome.engine}`;
        progress.value = 1;
      } catch (e) {
        status.textContent = errorText(e);
        progress.value = 0;
        throw e;
      } finally {
        running = null;
        setButtons();
      }
    }),
  );
  byId('cancel').addEventListener('click', guarded(async () => running?.cancel()));

  byId('submit').addEventListener(
    'click',
    guarded(async () => {
      if (current === null) return;
      const id = current;
      const form = new FormData();
      form.append('params', JSON.stringify({ client_id: 'wbct-web', label_info: [] }));
      form.append('label', new Blob([await viewer.labelFile()]), 'label.nii');
      const status = byId('submit-status');
      try {
        await api.request('PUT', `/datastore/label?image=${encodeURIComponent(id)}&tag=final`, { body: form });
        status.textContent = `stored as the final label of ${id}`;
      } catch (e) {
        status.textContent = `not stored: ${errorText(e)}`;
        throw e;
      }
      await loadImages();
    }),
  );

  byId('next-sample').addEventListener(
    'click',
    guarded(async () => {
      const next = await api.request<{ id?: string }>('POST', '/activelearning/random', { body: new Blob([JSON.stringify({ client_id: 'wbct-web' })], { type: 'application/json' }) });
      if (!next.id) return setStatus('every image has a final label');
      await loadImages();
      await openImage(next.id);
    }),
  );

  for (const input of document.querySelectorAll<HTMLInputElement>('input[name="tool"]')) {
    input.addEventListener('change', () => viewer.setTool(input.value as Tool, Number(penLabel.value)));
  }
  penLabel.addEventListener('change', () => {
    const tool = document.querySelector<HTMLInputElement>('input[name="tool"]:checked')?.value as Tool | undefined;
    viewer.setTool(tool ?? 'navigate', Number(penLabel.value));
  });
  byId<HTMLInputElement>('pen-size').addEventListener('input', (e) => viewer.setPenSize(Number((e.target as HTMLInputElement).value)));
  viewer.setPenSize(3);
  byId('undo').addEventListener('click', () => {
    viewer.undo();
    refreshStructures();
  });
  byId('canvas-box').addEventListener('pointerup', () => {
    if (document.querySelector<HTMLInputElement>('input[name="tool"]:checked')?.value !== 'navigate') refreshStructures();
  });
  byId<HTMLSelectElement>('view').addEventListener('change', (e) => viewer.setView((e.target as HTMLSelectElement).value as View));
  byId<HTMLSelectElement>('window').addEventListener('change', (e) => viewer.setWindow((e.target as HTMLSelectElement).value as WindowName));
  byId<HTMLInputElement>('opacity').addEventListener('input', (e) => viewer.setOpacity(Number((e.target as HTMLInputElement).value)));
  viewer.setOpacity(0.5);
  byId<HTMLInputElement>('image-search').addEventListener('input', renderImages);

  byId('download-label').addEventListener('click', guarded(async () => download(await viewer.labelFile(), `${current ?? 'label'}.label.nii`)));
  byId('download-stats-json').addEventListener('click', () => statistics && download(JSON.stringify(statistics, null, 2), `${current ?? 'image'}.statistics.json`, 'application/json'));
  byId('download-stats-csv').addEventListener('click', () => statistics && download(statisticsCsv(statistics), `${current ?? 'image'}.statistics.csv`, 'text/csv'));
  for (const [button, output] of [['download-seg', 'dicom_seg'], ['download-rtstruct', 'rtstruct']] as const) {
    byId(button).addEventListener(
      'click',
      guarded(async () => {
        if (current === null) return;
        setStatus(`running ${options.model} for a ${output} ...`);
        const form = new FormData();
        form.append('params', JSON.stringify(options.params()));
        const res = await api.fetch('POST', `/infer/${encodeURIComponent(options.model)}?image=${encodeURIComponent(current)}&output=${output}`, { body: form });
        download(await res.arrayBuffer(), `${current}.${output === 'dicom_seg' ? 'seg' : 'rtstruct'}.dcm`, 'application/dicom');
        setStatus(`${output} downloaded`);
      }),
    );
  }

  await loadImages();
  setButtons();
  setStatus(`${Object.keys(images).length} images; ${canSubmit ? 'you may submit labels' : 'read-only: your role may not submit labels'}`);
  // For the tests and for scripting the page: the viewer and the current state.
  Object.assign(window, { wbct: { viewer, current: () => current, statistics: () => statistics, openImage } });
}

main().catch((e: unknown) => setStatus(errorText(e), true));
