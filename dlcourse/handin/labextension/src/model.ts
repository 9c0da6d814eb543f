/**
 * The hand-in's state, shared by the side panel and the status bar item:
 * save the notebook, start a job on the server, poll it until it ends.
 */
import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import {
  HandinAPIError,
  IJob,
  IZipInfo,
  cancelJob,
  getInfo,
  getJob,
  listJobs,
  startJob
} from './api';

export type Phase =
  | 'idle' // nothing run yet for this notebook (in this browser session)
  | 'waiting' // cells are still running: the hand-in starts when they finish
  | 'saving'
  | 'running' // the server's job runs: job.stage says which step
  | 'done' // job ended: job.result says what came of it
  | 'error'; // could not start or follow the job: message says why

export interface IHandinState {
  path: string;
  phase: Phase;
  skipCheck: boolean;
  /** When the student pressed Hand in (ms since epoch) */
  startedAt: number;
  job: IJob | null;
  message: string;
}

const POLL_MS = 600;
const STUDENT_KEY = 'dlcourse-handin:student';
const STUDENT_PATTERN = /[A-Za-z0-9]/;

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Whether any code cell of the notebook is running or queued to run. */
export function cellsRunning(panel: NotebookPanel): boolean {
  const cells = panel.content.model?.cells;
  if (!cells) {
    return false;
  }
  for (let i = 0; i < cells.length; i++) {
    const cell: any = cells.get(i);
    if (cell.type === 'code' && cell.executionState === 'running') {
      return true;
    }
  }
  return false;
}

export class HandinModel {
  private _states = new Map<string, IHandinState>();
  private _last = new Map<string, IZipInfo | null>();
  private _current: string | null = null;
  private _serverStudent: string | null = null;
  private _changed = new Signal<this, string>(this);
  private _handedIn = new Signal<this, IHandinState>(this);

  /** Emits the notebook path whose state changed. */
  get changed(): ISignal<this, string> {
    return this._changed;
  }

  /** Emits when a hand-in made its zip. */
  get handedIn(): ISignal<this, IHandinState> {
    return this._handedIn;
  }

  /** The notebook the panel shows: the last one handed in (or being handed in). */
  get current(): IHandinState | null {
    return this._current ? this._states.get(this._current) ?? null : null;
  }

  state(path: string): IHandinState | null {
    return this._states.get(path) ?? null;
  }

  /** The notebook's latest zip: from this session's hand-in, else what the server found on disk. */
  lastZip(path: string): IZipInfo | null {
    const state = this._states.get(path);
    const zip = state?.job?.result?.zip;
    if (state?.phase === 'done' && state.job?.result?.made && zip) {
      return zip;
    }
    return this._last.get(path) ?? null;
  }

  /** Ask the server (once per notebook) for the notebook's last hand-in and the student id. */
  async refreshInfo(path: string): Promise<void> {
    if (this._last.has(path)) {
      return;
    }
    this._last.set(path, null);
    try {
      const info = await getInfo(path);
      this._serverStudent = info.student;
      this._last.set(path, info.last);
      this._changed.emit(path);
    } catch {
      this._last.delete(path); // try again next time the notebook is shown
    }
  }

  /** After a page reload: show a hand-in that is still running on the server. */
  async resume(): Promise<void> {
    let jobs: IJob[];
    try {
      jobs = await listJobs();
    } catch {
      return;
    }
    const job = jobs.find(j => j.state === 'running');
    if (!job) {
      return;
    }
    const state: IHandinState = {
      path: job.path,
      phase: 'running',
      skipCheck: job.skip_check,
      startedAt: Date.now() - job.elapsed * 1000,
      job,
      message: ''
    };
    this._set(state);
    await this._follow(state);
  }

  /** The id that names the zip: the server's (from the course's start command), else the one typed here. */
  get student(): string {
    return this._serverStudent || window.localStorage.getItem(STUDENT_KEY) || '';
  }

  get studentFromServer(): boolean {
    return !!this._serverStudent;
  }

  /** Ask for the student id; false if the student cancelled. */
  async askStudent(): Promise<boolean> {
    const answer = await InputDialog.getText({
      title: 'Your student id',
      label:
        'It goes into the name of your hand-in zip (e.g. gradient_descent_ps1_jdoe.zip).',
      placeholder: 'e.g. jdoe',
      text: window.localStorage.getItem(STUDENT_KEY) || '',
      okLabel: 'Save'
    });
    const value = (answer.value || '').trim();
    if (!answer.button.accept || !STUDENT_PATTERN.test(value)) {
      return false;
    }
    window.localStorage.setItem(STUDENT_KEY, value);
    const current = this._current;
    if (current) {
      this._changed.emit(current);
    }
    return true;
  }

  /** Save the notebook, then self-check (unless skipCheck), PDF and zip on the server. */
  async handIn(panel: NotebookPanel, skipCheck: boolean): Promise<void> {
    const path = panel.context.path;
    const busy = this._states.get(path);
    if (busy && ['waiting', 'saving', 'running'].includes(busy.phase)) {
      return; // one hand-in of a notebook at a time; the panel shows the one running
    }
    await this.refreshInfo(path);
    if (!this.student && !(await this.askStudent())) {
      return;
    }
    const state: IHandinState = {
      path,
      phase: 'saving',
      skipCheck,
      startedAt: Date.now(),
      job: null,
      message: ''
    };
    if (cellsRunning(panel)) {
      const choice = await showDialog({
        title: 'Cells are still running',
        body:
          'The hand-in uses the notebook as saved, with its outputs. Hand in when the running cells have finished?',
        buttons: [
          Dialog.cancelButton({ label: 'Cancel' }),
          Dialog.okButton({ label: 'Hand in when finished' })
        ]
      });
      if (!choice.button.accept) {
        return;
      }
      state.phase = 'waiting';
      this._set(state);
      while (cellsRunning(panel) && !panel.isDisposed) {
        await sleep(300);
      }
      state.phase = 'saving';
    }
    this._set(state);
    try {
      await panel.context.save();
    } catch (error) {
      this._fail(state, `The notebook could not be saved: ${(error as Error).message}`);
      return;
    }
    try {
      state.job = await startJob(
        path,
        skipCheck,
        this.studentFromServer ? undefined : this.student
      );
    } catch (error) {
      if (error instanceof HandinAPIError && error.reason === 'student') {
        window.localStorage.removeItem(STUDENT_KEY);
      }
      this._fail(state, (error as Error).message);
      return;
    }
    state.phase = 'running';
    this._set(state);
    await this._follow(state);
  }

  /** Stop the running self-check. */
  async cancel(path: string): Promise<void> {
    const state = this._states.get(path);
    if (!state?.job || state.phase !== 'running') {
      return;
    }
    try {
      await cancelJob(state.job.id);
    } catch (error) {
      state.message = (error as Error).message;
      this._changed.emit(path);
    }
  }

  /** Show the notebook's state in the panel (e.g. when the student opens the panel for it). */
  select(path: string): void {
    if (!this._states.has(path)) {
      this._states.set(path, {
        path,
        phase: 'idle',
        skipCheck: false,
        startedAt: 0,
        job: null,
        message: ''
      });
    }
    this._current = path;
    this._changed.emit(path);
  }

  private async _follow(state: IHandinState): Promise<void> {
    let misses = 0;
    while (state.job && state.job.state === 'running') {
      await sleep(POLL_MS);
      try {
        state.job = await getJob(state.job.id);
        misses = 0;
      } catch (error) {
        if (++misses < 5) {
          continue; // the server may be busy for a moment
        }
        this._fail(state, (error as Error).message);
        return;
      }
      this._changed.emit(state.path);
    }
    state.phase = 'done';
    const made = state.job?.state === 'done' && !!state.job.result?.made;
    if (made) {
      this._last.set(state.path, state.job!.result!.zip);
    }
    this._set(state);
    if (made) {
      this._handedIn.emit(state);
    }
  }

  private _fail(state: IHandinState, message: string): void {
    state.phase = 'error';
    state.message = message;
    this._set(state);
  }

  private _set(state: IHandinState): void {
    this._states.set(state.path, state);
    this._current = state.path;
    this._changed.emit(state.path);
  }
}
