/**
 * JupyterLab 4 extension: "Hand in" for Deep Learning from the Ground Up.
 *
 * A notebook toolbar button and File > Hand In Notebook… save the notebook and
 * ask the course's server extension (dlcourse.handin, REST API in api.ts) to
 * self-check it, print it to PDF and zip both.  A side panel shows the
 * progress, then either the zip's full name and a download, or what to fix,
 * each item a link that scrolls to its cell, with "Hand in anyway".  The
 * status bar shows the current notebook's last hand-in (zip name and time).
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { Cell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Widget } from '@lumino/widgets';

import { IItem, IZipInfo } from './api';
import { handinIcon } from './icon';
import { HandinModel } from './model';
import { HandinPanel, formatTime } from './panel';

const PLUGIN_ID = 'dlcourse-handin:plugin';

export namespace CommandIDs {
  export const handIn = 'dlcourse-handin:hand-in';
  export const handInAnyway = 'dlcourse-handin:hand-in-anyway';
  export const showPanel = 'dlcourse-handin:show-panel';
}

/** The status bar item: the current notebook's hand-in, in one line. */
class HandinStatus extends Widget {
  constructor(
    private _model: HandinModel,
    private _tracker: INotebookTracker,
    onClick: () => void
  ) {
    super();
    this.addClass('dlc-Handin-status');
    this.node.title = 'Hand-in of this notebook: click for details';
    this.node.addEventListener('click', onClick);
    _model.changed.connect(() => this.update(), this);
    _tracker.currentChanged.connect(() => {
      const path = _tracker.currentWidget?.context.path;
      if (path) {
        void _model.refreshInfo(path);
      }
      this.update();
    }, this);
  }

  protected onUpdateRequest(): void {
    const path = this._tracker.currentWidget?.context.path;
    const state = path ? this._model.state(path) : null;
    let text = '';
    if (path && state && ['waiting', 'saving', 'running'].includes(state.phase)) {
      text = state.job?.stage_label ? `Hand-in: ${state.job.stage_label}` : 'Hand-in: starting…';
    } else if (path) {
      const zip = this._model.lastZip(path);
      if (zip) {
        text = `Handed in: ${zip.name} at ${formatTime(zip.mtime)}`;
      }
    }
    this.node.textContent = text;
    this.setHidden(!text);
  }
}

async function findNotebook(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  path: string
): Promise<NotebookPanel | null> {
  let panel = tracker.find(widget => widget.context.path === path) ?? null;
  if (!panel) {
    const opened = await app.commands.execute('docmanager:open', { path });
    panel = opened instanceof NotebookPanel ? opened : null;
  }
  if (panel) {
    app.shell.activateById(panel.id);
    await panel.context.ready;
  }
  return panel;
}

/** The cell an item points at: by cell id, else nbgrader grade_id, else position. */
function cellIndex(panel: NotebookPanel, item: IItem): number {
  const ref = item.cell;
  const widgets = panel.content.widgets;
  if (!ref) {
    return -1;
  }
  if (ref.id) {
    const i = widgets.findIndex(cell => cell.model.id === ref.id);
    if (i >= 0) {
      return i;
    }
  }
  if (ref.grade_id) {
    const i = widgets.findIndex(
      cell => (cell.model.getMetadata('nbgrader') as any)?.grade_id === ref.grade_id
    );
    if (i >= 0) {
      return i;
    }
  }
  if (typeof ref.index === 'number' && ref.index >= 0 && ref.index < widgets.length) {
    return ref.index;
  }
  return -1;
}

async function showCell(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  path: string,
  item: IItem
): Promise<void> {
  const panel = await findNotebook(app, tracker, path);
  if (!panel) {
    return;
  }
  const index = cellIndex(panel, item);
  if (index < 0) {
    Notification.warning(`"${item.title}" is no longer in the notebook.`, { autoClose: 4000 });
    return;
  }
  const notebook = panel.content;
  notebook.mode = 'command';
  notebook.deselectAll();
  notebook.activeCellIndex = index;
  await notebook.scrollToItem(index, 'start');
  const cell: Cell = notebook.widgets[index];
  cell.node.classList.remove('dlc-Handin-flash');
  void cell.node.offsetWidth; // restart the highlight animation
  cell.node.classList.add('dlc-Handin-flash');
  window.setTimeout(() => cell.node.classList.remove('dlc-Handin-flash'), 2500);
  notebook.node.focus();
}

async function download(app: JupyterFrontEnd, zip: IZipInfo): Promise<void> {
  const url = new URL(await app.serviceManager.contents.getDownloadUrl(zip.path), window.location.href);
  url.searchParams.set('download', '1');
  const link = document.createElement('a');
  link.href = url.toString();
  link.download = zip.name;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Hand in a notebook: self-check, PDF and zip, from the notebook toolbar and the File menu.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILabShell, ILayoutRestorer, IStatusBar, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null,
    statusBar: IStatusBar | null,
    palette: ICommandPalette | null
  ) => {
    const model = new HandinModel();

    const showPanel = () => {
      if (!panel.isAttached) {
        app.shell.add(panel, 'right', { rank: 50 });
      }
      app.shell.activateById(panel.id);
    };

    const handIn = async (path: string | null, skipCheck: boolean) => {
      const notebook = path
        ? await findNotebook(app, tracker, path)
        : tracker.currentWidget;
      if (!notebook) {
        return;
      }
      model.select(notebook.context.path);
      showPanel();
      await model.handIn(notebook, skipCheck);
    };

    const panel = new HandinPanel(model, {
      handIn: (path, skipCheck) => void handIn(path, skipCheck),
      cancel: path => void model.cancel(path),
      download: zip => void download(app, zip),
      showCell: (path, item) => void showCell(app, tracker, path, item),
      runAll: async path => {
        if (await findNotebook(app, tracker, path)) {
          await app.commands.execute('notebook:restart-run-all');
        }
      },
      changeStudent: () => void model.askStudent()
    });
    app.shell.add(panel, 'right', { rank: 50 });
    if (restorer) {
      restorer.add(panel, 'dlcourse-handin-panel');
    }

    model.handedIn.connect((_, state) => {
      const zip = state.job?.result?.zip;
      if (!zip) {
        return;
      }
      Notification.success(`Handed in: ${zip.name} (${formatTime(zip.mtime)})`, {
        autoClose: 8000,
        actions: [{ label: 'Download', callback: () => void download(app, zip) }]
      });
    });

    const hasNotebook = () => tracker.currentWidget !== null;
    app.commands.addCommand(CommandIDs.handIn, {
      label: args => (args.toolbar ? 'Hand in' : 'Hand In Notebook…'),
      caption: 'Save, self-check, and make the hand-in zip (notebook + PDF)',
      icon: handinIcon,
      isEnabled: hasNotebook,
      execute: args => handIn((args.path as string) || null, false)
    });
    app.commands.addCommand(CommandIDs.handInAnyway, {
      label: 'Hand In Notebook Without Self-Check',
      caption: 'Make the hand-in zip as the notebook is now (failing tests lose their points)',
      icon: handinIcon,
      isEnabled: hasNotebook,
      execute: args => handIn((args.path as string) || null, true)
    });
    app.commands.addCommand(CommandIDs.showPanel, {
      label: 'Show Hand-in Panel',
      caption: 'The hand-in panel: progress, what to fix, your zip',
      execute: () => {
        const path = tracker.currentWidget?.context.path;
        if (path && (!model.current || !model.state(path) || model.state(path)?.phase === 'idle')) {
          model.select(path);
          void model.refreshInfo(path);
        }
        showPanel();
      }
    });
    if (palette) {
      for (const command of [CommandIDs.handIn, CommandIDs.handInAnyway, CommandIDs.showPanel]) {
        palette.addItem({ command, category: 'Hand in' });
      }
    }

    if (statusBar) {
      const status = new HandinStatus(model, tracker, () => void app.commands.execute(CommandIDs.showPanel));
      statusBar.registerStatusItem('dlcourse-handin:status', {
        item: status,
        align: 'left',
        rank: 50,
        isActive: () => true
      });
    }

    // The panel follows the notebook in front, unless it shows a hand-in in progress or its result.
    const follow = () => {
      const path = tracker.currentWidget?.context.path;
      const current = model.current;
      if (!path || (current && current.phase !== 'idle')) {
        return;
      }
      model.select(path);
      void model.refreshInfo(path);
    };
    tracker.currentChanged.connect(follow);
    if (labShell) {
      labShell.currentChanged.connect(follow);
    }
    void app.restored.then(() => {
      follow();
      void model.resume();
    });
  }
};

export default plugin;
