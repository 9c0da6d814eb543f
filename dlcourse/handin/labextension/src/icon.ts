import { LabIcon } from '@jupyterlab/ui-components';

/** A tray with an arrow going in: "hand in". */
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M11 3h2v9.2l3.3-3.3 1.4 1.4L12 16 6.3 10.3l1.4-1.4L11 12.2z"/>
    <path d="M3 14h2v5h14v-5h2v7H3z"/>
  </g>
</svg>`;

export const handinIcon = new LabIcon({ name: 'dlcourse-handin:handin', svgstr: svg });
