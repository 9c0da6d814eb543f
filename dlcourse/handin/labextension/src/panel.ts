/**
 * The "Hand in" side panel: progress while the server works, then the result:
 * the zip's full name and a download, or the list of what to fix (each a link
 * to its cell) with "Hand in anyway".
 */
import { Widget } from '@lumino/widgets';

import { IItem, IJob, IZipInfo } from './api';
import { HandinModel, IHandinState } from './model';
import { handinIcon } from './icon';

/** What the panel asks the rest of the extension to do. */
export interface IPanelActions {
  handIn(path: string, skipCheck: boolean): void;
  cancel(path: string): void;
  download(zip: IZipInfo): void;
  showCell(path: string, item: IItem): void;
  runAll(path: string): void;
  changeStudent(): void;
}

type Child = Node | string | null | undefined | false;

function h(
  tag: string,
  attrs: { [key: string]: string } = {},
  ...children: Child[]
): HTMLElement {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.append(child);
  }
  return node;
}

/** Plain text with `code` spans (the self-check's messages quote code that way). */
function richText(text: string): HTMLElement {
  const node = h('span');
  text.split(/(`[^`]+`)/).forEach(part => {
    if (part.length > 2 && part.startsWith('`') && part.endsWith('`')) {
      node.append(h('code', {}, part.slice(1, -1)));
    } else if (part) {
      node.append(part);
    }
  });
  return node;
}

function button(
  label: string,
  action: string,
  onClick: () => void,
  kind: 'accept' | 'reject' | 'plain' = 'plain'
): HTMLElement {
  const node = h(
    'button',
    {
      class: `jp-Button dlc-Handin-button ${kind === 'accept' ? 'jp-mod-accept' : kind === 'reject' ? 'jp-mod-warn' : 'jp-mod-reject'} jp-mod-styled`,
      'data-action': action,
      type: 'button'
    },
    label
  );
  node.addEventListener('click', onClick);
  return node;
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return iso;
  }
  const today = new Date();
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return date.toDateString() === today.toDateString()
    ? time
    : `${date.toLocaleDateString()} ${time}`;
}

function formatSize(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

function basename(path: string): string {
  return path.split('/').pop() || path;
}

const GROUPS: { kinds: string[]; title: string }[] = [
  { kinds: ['fatal'], title: 'The notebook did not run to the end' },
  { kinds: ['broken'], title: 'Answer cells that raise an error (fix these first)' },
  { kinds: ['failure'], title: 'Visible tests that fail' },
  { kinds: ['not_started'], title: 'Answers not started yet' },
  { kinds: ['empty_written'], title: 'Written answers still empty' },
  { kinds: ['changed'], title: 'Cells you edited that should stay as they are' },
  { kinds: ['not_run'], title: 'Not run in the saved notebook' },
  { kinds: ['bonus_failure', 'optional_open'], title: 'Extra credit (optional: skipping it costs nothing)' }
];

export class HandinPanel extends Widget {
  private _timer = 0;

  constructor(
    private _model: HandinModel,
    private _actions: IPanelActions
  ) {
    super();
    this.id = 'dlcourse-handin-panel';
    this.addClass('dlc-Handin');
    this.title.icon = handinIcon;
    this.title.caption = 'Hand in';
    this._model.changed.connect(() => this.render(), this);
    this.render();
  }

  dispose(): void {
    window.clearInterval(this._timer);
    super.dispose();
  }

  render(): void {
    const state = this._model.current;
    const node = this.node;
    node.replaceChildren();
    window.clearInterval(this._timer);
    node.append(h('h2', { class: 'dlc-Handin-title' }, 'Hand in'));
    if (!state) {
      node.append(
        h(
          'p',
          { class: 'dlc-Handin-hint' },
          'Open a notebook and press Hand in (notebook toolbar, or File → Hand In Notebook). ' +
            'It saves the notebook, runs its visible tests and makes the zip you upload: the notebook and its PDF.'
        )
      );
      return;
    }
    node.dataset.phase = state.phase;
    node.append(h('div', { class: 'dlc-Handin-notebook', title: state.path }, basename(state.path)));
    node.append(this._student());
    switch (state.phase) {
      case 'idle':
        node.append(this._idle(state));
        break;
      case 'waiting':
      case 'saving':
      case 'running':
        node.append(this._progress(state));
        break;
      case 'error':
        node.append(this._error(state));
        break;
      case 'done':
        node.append(this._done(state));
        break;
    }
  }

  private _student(): HTMLElement {
    const student = this._model.student;
    const line = h('div', { class: 'dlc-Handin-student' }, 'Student id: ', h('b', {}, student || 'not set'));
    if (!this._model.studentFromServer) {
      const change = h('a', { href: '#', 'data-action': 'change-student' }, student ? 'change' : 'set');
      change.addEventListener('click', event => {
        event.preventDefault();
        this._actions.changeStudent();
      });
      line.append(' (', change, ')');
    }
    return line;
  }

  private _idle(state: IHandinState): HTMLElement {
    const box = h('div', { class: 'dlc-Handin-section' });
    const last = this._model.lastZip(state.path);
    if (last) {
      box.append(this._zipLine('Last hand-in', last));
    }
    box.append(
      h(
        'p',
        { class: 'dlc-Handin-hint' },
        'Hand in saves the notebook, runs its visible tests (10–30 s) and, if nothing is left to fix, ' +
          'makes the zip you upload: the notebook and its PDF.'
      ),
      button('Hand in', 'handin', () => this._actions.handIn(state.path, false), 'accept')
    );
    return box;
  }

  private _progress(state: IHandinState): HTMLElement {
    const job = state.job;
    let label: string;
    if (state.phase === 'waiting') {
      label = 'Waiting for the running cells to finish…';
    } else if (state.phase === 'saving') {
      label = 'Saving the notebook…';
    } else {
      label = job?.stage_label || 'Working…';
    }
    const bar = h('div', { class: 'dlc-Handin-bar' });
    const fill = h('div', { class: 'dlc-Handin-bar-fill' });
    if (job?.progress && job.progress.total > 0) {
      fill.style.width = `${Math.min(100, (100 * job.progress.done) / job.progress.total).toFixed(1)}%`;
    } else {
      bar.classList.add('dlc-mod-indeterminate');
    }
    bar.append(fill);
    const elapsed = h('span', { class: 'dlc-Handin-elapsed' });
    const tick = () => {
      elapsed.textContent = `${Math.round((Date.now() - state.startedAt) / 1000)} s`;
    };
    tick();
    this._timer = window.setInterval(tick, 1000);
    const box = h(
      'div',
      { class: 'dlc-Handin-section dlc-Handin-progress', role: 'status', 'aria-live': 'polite' },
      h('div', { class: 'dlc-Handin-stage' }, h('span', { class: 'dlc-Handin-stage-label' }, label), ' ', elapsed),
      bar,
      h(
        'p',
        { class: 'dlc-Handin-hint' },
        state.skipCheck
          ? 'Handing in without the self-check: making the PDF and the zip.'
          : 'The self-check runs every cell of the saved notebook in a kernel of its own; your notebook is not changed.'
      )
    );
    if (state.phase === 'running' && job && job.stage === 'check') {
      box.append(button('Cancel', 'cancel', () => this._actions.cancel(state.path)));
    }
    if (state.message) {
      box.append(h('p', { class: 'dlc-Handin-error' }, state.message));
    }
    return box;
  }

  private _error(state: IHandinState): HTMLElement {
    return h(
      'div',
      { class: 'dlc-Handin-section' },
      h('p', { class: 'dlc-Handin-error' }, richText(state.message)),
      button('Try again', 'handin', () => this._actions.handIn(state.path, state.skipCheck), 'accept')
    );
  }

  private _done(state: IHandinState): HTMLElement {
    const job = state.job as IJob;
    const result = job.result;
    const box = h('div', { class: 'dlc-Handin-section' });
    if (job.state === 'cancelled' || job.state === 'failed' || !result) {
      box.append(
        h(
          'p',
          { class: job.state === 'cancelled' ? 'dlc-Handin-hint' : 'dlc-Handin-error' },
          job.state === 'cancelled'
            ? 'Hand-in cancelled: nothing was made.'
            : richText(job.message || 'The hand-in stopped without a result.')
        ),
        button('Hand in', 'handin', () => this._actions.handIn(state.path, false), 'accept')
      );
      return box;
    }
    if (result.made && result.zip) {
      box.classList.add('dlc-Handin-success');
      box.append(
        h(
          'p',
          { class: 'dlc-Handin-verdict' },
          result.checked ? '✓ Handed in: the self-check found nothing to fix.' : '✓ Handed in as it is (no self-check).'
        ),
        this._zipLine('Your hand-in', result.zip),
        button(`Download ${result.zip.name}`, 'download', () => this._actions.download(result.zip as IZipInfo), 'accept'),
        h(
          'p',
          { class: 'dlc-Handin-hint' },
          'Upload this zip: it holds the notebook and its PDF. A copy is also next to the notebook, in the file browser.'
        )
      );
      const optional = result.items.filter(item => item.optional);
      if (optional.length) {
        box.append(this._items(state, optional));
      }
      return box;
    }
    if (result.error) {
      box.append(
        h('p', { class: 'dlc-Handin-verdict dlc-Handin-error' }, 'Not handed in:'),
        h('p', { class: 'dlc-Handin-error' }, richText(result.error)),
        button('Try again', 'handin', () => this._actions.handIn(state.path, state.skipCheck), 'accept')
      );
      return box;
    }
    const toFix = result.items.filter(item => !item.optional);
    box.classList.add('dlc-Handin-todo');
    const actions = h('div', { class: 'dlc-Handin-actions' });
    if (toFix.some(item => item.kind === 'not_run' || item.kind === 'fatal')) {
      actions.append(button('Restart and run all', 'run-all', () => this._actions.runAll(state.path)));
    }
    actions.append(
      button('Check again', 'handin', () => this._actions.handIn(state.path, false), 'accept'),
      button('Hand in anyway', 'handin-anyway', () => this._actions.handIn(state.path, true), 'reject')
    );
    box.append(
      h('p', { class: 'dlc-Handin-verdict' }, 'Not handed in yet: the self-check found things to fix.'),
      h('p', { class: 'dlc-Handin-summary' }, result.summary),
      actions,
      h(
        'p',
        { class: 'dlc-Handin-hint' },
        'Click an item to go to its cell. When you have fixed them, run all cells and check again. ' +
          'Hand in anyway makes the zip as the notebook is now: tests that fail lose their points.'
      ),
      this._items(state, result.items)
    );
    return box;
  }

  private _items(state: IHandinState, items: IItem[]): HTMLElement {
    const list = h('div', { class: 'dlc-Handin-items' });
    for (const group of GROUPS) {
      const members = items.filter(item => group.kinds.includes(item.kind));
      if (!members.length) {
        continue;
      }
      const ul = h('ul', {});
      for (const item of members) {
        const title = item.cell
          ? h('a', { href: '#', class: 'dlc-Handin-cell-link', 'data-kind': item.kind }, item.title)
          : h('b', {}, item.title);
        if (item.cell) {
          title.addEventListener('click', event => {
            event.preventDefault();
            this._actions.showCell(state.path, item);
          });
        }
        ul.append(
          h(
            'li',
            { class: `dlc-Handin-item${item.optional ? ' dlc-mod-optional' : ''}`, 'data-kind': item.kind },
            title,
            item.message ? h('div', { class: 'dlc-Handin-message' }, richText(item.message)) : null
          )
        );
      }
      list.append(h('h3', {}, group.title), ul);
    }
    return list;
  }

  private _zipLine(label: string, zip: IZipInfo): HTMLElement {
    return h(
      'div',
      { class: 'dlc-Handin-zip' },
      h('div', { class: 'dlc-Handin-zip-label' }, `${label}, ${formatTime(zip.mtime)} (${formatSize(zip.size)}):`),
      h('div', { class: 'dlc-Handin-zip-name', title: zip.path }, zip.name)
    );
  }
}
