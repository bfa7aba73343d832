/**
 * The dashboard's charts: bars drawn in SVG in the design system's colours, each followed by
 * the same numbers as an accessible table. No script of its own, no inline style (the
 * gateway's Content-Security-Policy), nothing to load: the table is the chart's text
 * alternative, and the image only says what it shows.
 */
import type { ReactNode } from 'react';
import type { ChartData } from './DashboardData';

/** Bleu France and its lighter tint, then a third colour for a third series. */
const COLOURS = ['#000091', '#6a6af4', '#c9191e'];
const WIDTH = 640;
const HEIGHT = 240;
const MARGIN = { top: 12, right: 8, bottom: 36, left: 40 };

/** A round upper bound for the axis: 1, 2, 5, 10, 20, 50... at least ``max``. */
export function axisMaximum(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export function BarChart({ id, title, data, unit }: { id: string; title: string; data: ChartData; unit?: string }) {
  const values = data.series.flatMap((series) => series.values.filter((value): value is number => value !== null));
  const top = axisMaximum(Math.max(0, ...values));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const groupWidth = plotWidth / Math.max(1, data.labels.length);
  const barWidth = Math.max(2, (groupWidth * 0.7) / Math.max(1, data.series.length));
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const ticks = [0, top / 2, top];
  return (
    <div className="fr-mb-2w">
      <svg
        id={id}
        role="img"
        aria-labelledby={`${id}-titre`}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        preserveAspectRatio="xMidYMid meet"
        className="mm-chart"
        focusable="false"
      >
        <title id={`${id}-titre`}>{`${title} (graphique en barres ; les valeurs sont dans le tableau qui suit)`}</title>
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(tick)} y2={y(tick)} stroke="#dddddd" />
            <text x={MARGIN.left - 6} y={y(tick) + 4} textAnchor="end" fontSize="11" fill="#3a3a3a">
              {Number.isInteger(tick) ? tick : tick.toFixed(1).replace('.', ',')}
            </text>
          </g>
        ))}
        {data.labels.map((label, index) => {
          const start = MARGIN.left + index * groupWidth + (groupWidth - barWidth * data.series.length) / 2;
          return (
            <g key={label}>
              {data.series.map((series, seriesIndex) => {
                const value = series.values[index];
                if (value === null || value === undefined) return null;
                return (
                  <rect
                    key={series.name}
                    x={start + seriesIndex * barWidth}
                    y={y(value)}
                    width={barWidth - 1}
                    height={Math.max(0, MARGIN.top + plotHeight - y(value))}
                    fill={COLOURS[seriesIndex % COLOURS.length]}
                  />
                );
              })}
              <text x={MARGIN.left + index * groupWidth + groupWidth / 2} y={HEIGHT - MARGIN.bottom + 16} textAnchor="middle" fontSize="11" fill="#3a3a3a">
                {label}
              </text>
            </g>
          );
        })}
        {unit ? (
          <text x={4} y={MARGIN.top + 4} fontSize="11" fill="#3a3a3a">
            {unit}
          </text>
        ) : null}
      </svg>
      <ul className="mm-chart-legend fr-text--sm" aria-hidden="true">
        {data.series.map((series, index) => (
          <li key={series.name}>
            <svg width="12" height="12" focusable="false">
              <rect width="12" height="12" fill={COLOURS[index % COLOURS.length]} />
            </svg>{' '}
            {series.name}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A DSFR table whose caption names what the chart above it shows. */
export function FiguresTable({ caption, headers, rows }: { caption: string; headers: string[]; rows: ReactNode[][] }) {
  return (
    <div className="fr-table fr-table--sm fr-mb-4w">
      <div className="fr-table__wrapper">
        <div className="fr-table__container">
          <div className="fr-table__content">
            <table>
              <caption>{caption}</caption>
              <thead>
                <tr>
                  {headers.map((header, index) => (
                    <th key={header} scope="col" className={index > 0 ? 'fr-cell--right' : undefined}>
                      {header}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row, rowIndex) => (
                  <tr key={rowIndex}>
                    {row.map((cell, index) =>
                      index === 0 ? (
                        <th key={index} scope="row">
                          {cell}
                        </th>
                      ) : (
                        <td key={index} className="fr-cell--right">
                          {cell}
                        </td>
                      ),
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      </div>
    </div>
  );
}

/** One chart and its table, under a heading. */
export function ChartWithTable({
  id,
  title,
  data,
  unit,
  headers,
  rows,
}: {
  id: string;
  title: string;
  data: ChartData;
  unit?: string;
  headers: string[];
  rows: ReactNode[][];
}) {
  return (
    <section className="fr-mb-4w" aria-labelledby={`${id}-intitule`}>
      <h2 id={`${id}-intitule`} className="fr-h4">
        {title}
      </h2>
      <BarChart id={id} title={title} data={data} unit={unit} />
      <FiguresTable caption={`${title} : les valeurs`} headers={headers} rows={rows} />
    </section>
  );
}
