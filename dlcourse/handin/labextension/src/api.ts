/**
 * The hand-in REST API, served by the course's jupyter_server extension
 * (dlcourse.handin), under <base_url>dlcourse/handin/:
 *
 *   GET    info?path=<nb>   -> IInfo: the student id the server knows, the notebook's last hand-in
 *   POST   jobs             {path, skip_check, student?} -> 202 IJob (400 {message}: bad input)
 *   GET    jobs             -> IJob[] (running and recent jobs, newest first)
 *   GET    jobs/<id>        -> IJob   (poll this while job.state is "running")
 *   DELETE jobs/<id>        -> 204    (stops the self-check)
 *
 * Every path is relative to the server's root directory, as JupyterLab's
 * contents API names it.  An expected outcome (tests fail, no browser for the
 * PDF) is a 200 answer whose result says so, never an HTTP error.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** The zip a hand-in made. */
export interface IZipInfo {
  /** Its full file name, e.g. gradient_descent_ps1_jdoe.zip */
  name: string;
  /** Server-relative path (for the contents API and downloads) */
  path: string;
  /** Size in bytes */
  size: number;
  /** When it was written (ISO 8601 with time zone) */
  mtime: string;
}

/** Where a to-do item is in the notebook: the first of these that matches wins. */
export interface ICellRef {
  /** nbformat cell id */
  id?: string | null;
  /** nbgrader grade_id */
  grade_id?: string | null;
  /** 0-based index of the cell in the saved notebook */
  index?: number | null;
}

export type ItemKind =
  | 'fatal' // the notebook could not be run to the end
  | 'broken' // an answer cell raises an error
  | 'failure' // a visible test fails
  | 'not_started' // an answer cell still says raise NotImplementedError()
  | 'empty_written' // a written answer still says YOUR ANSWER HERE
  | 'changed' // a read-only or test cell was edited
  | 'not_run' // code cells of the saved notebook were never run
  | 'bonus_failure' // a bonus (extra-credit) test fails: optional
  | 'optional_open'; // an extra-credit part not done: optional

/** One thing the self-check found. */
export interface IItem {
  kind: ItemKind;
  /** True for extra-credit items: fine to hand in without them */
  optional: boolean;
  /** Short name shown as the link, e.g. "test_grad_f_visible (2 points)" */
  title: string;
  /** One or two plain sentences: what is wrong and what to do */
  message: string;
  /** The cell to scroll to, if there is one */
  cell?: ICellRef | null;
  points?: number | null;
}

/** What a finished hand-in job found and made. */
export interface IResult {
  /** A zip was made */
  made: boolean;
  /** Whether the self-check ran */
  checked: boolean;
  /** The self-check found nothing to fix (null when it did not run) */
  ready: boolean | null;
  /** One line, e.g. "3 of 9 visible test cells fail" */
  summary: string;
  items: IItem[];
  /** The command-line hand-in's text report (python -m ... handin) */
  report: string;
  zip: IZipInfo | null;
  /** A set-up problem in one line (e.g. which browser to install for the PDF); null if none */
  error: string | null;
  /** Seconds the self-check took */
  check_seconds?: number | null;
}

export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

/** One hand-in run on the server. */
export interface IJob {
  id: string;
  path: string;
  skip_check: boolean;
  student: string;
  state: JobState;
  /** "check", "pdf", "zip" or "done" */
  stage: string;
  /** The stage in words, e.g. "Self-check: running cell 12 of 80" */
  stage_label: string;
  progress?: { done: number; total: number } | null;
  /** ISO 8601 */
  started: string;
  /** Seconds since it started (until it ended) */
  elapsed: number;
  result: IResult | null;
  /** state "failed": what went wrong, in one line */
  message?: string | null;
}

export interface IInfo {
  /** The student id the server was started with ("" if none) */
  student: string;
  /** The notebook's hand-in zip, if one exists */
  last: IZipInfo | null;
}

/** An HTTP answer that is not a success: the server's one-line message. */
export class HandinAPIError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string = ''
  ) {
    super(message);
  }
}

const settings = ServerConnection.makeSettings();

async function request<T>(
  endpoint: string,
  init: RequestInit = {}
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'dlcourse', 'handin', endpoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new HandinAPIError(
      'JupyterLab cannot reach its server: is the terminal that started it still open?',
      0
    );
  }
  const text = await response.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 404 && !data?.message) {
      throw new HandinAPIError(
        'The hand-in service is not running on this server: start JupyterLab with the course\'s own command (see the README).',
        404,
        'no-service'
      );
    }
    throw new HandinAPIError(
      data?.message || `The server answered ${response.status} ${response.statusText}.`,
      response.status,
      data?.reason || ''
    );
  }
  return data as T;
}

export function getInfo(path: string): Promise<IInfo> {
  return request<IInfo>(`info?path=${encodeURIComponent(path)}`);
}

export function startJob(
  path: string,
  skipCheck: boolean,
  student?: string
): Promise<IJob> {
  const body: any = { path, skip_check: skipCheck };
  if (student) {
    body.student = student;
  }
  return request<IJob>('jobs', { method: 'POST', body: JSON.stringify(body) });
}

export function getJob(id: string): Promise<IJob> {
  return request<IJob>(`jobs/${encodeURIComponent(id)}`);
}

export function listJobs(): Promise<IJob[]> {
  return request<IJob[]>('jobs');
}

export function cancelJob(id: string): Promise<void> {
  return request<void>(`jobs/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
