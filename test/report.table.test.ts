import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvTable, formatMeanStd, markdownTable } from '../src/report/table.js';

test('markdownTable pads columns, right-aligns numeric ones and formats numbers', () => {
  const table = markdownTable(['method', 'avg', 'wga', 'n'], [
    ['ERM', 0.9123, 0.5, 120],
    ['MAT', 0.85, null, 80],
  ]);
  assert.equal(
    table,
    [
      '| method |   avg |   wga |   n |',
      '| :----- | ----: | ----: | --: |',
      '| ERM    | 0.912 | 0.500 | 120 |',
      '| MAT    | 0.850 |     — |  80 |',
      '',
    ].join('\n'),
  );
});

test('markdownTable honours alignment and digits options and escapes pipes', () => {
  const table = markdownTable(['x|y', 'v'], [['a|b', 1], ['c', 0.25]], { align: ['center', 'left'], digits: [undefined, 1] });
  assert.equal(
    table,
    ['| x\\|y | v   |', '| :--: | :-- |', '| a\\|b | 1.0 |', '|  c   | 0.3 |', ''].join('\n'),
  );
  assert.throws(() => markdownTable(['a', 'b'], [['x']]), /row 0 has 1 cells but there are 2 headers/);
});

test('formatMeanStd gives "mean ± std", scaled to percent when asked', () => {
  assert.equal(formatMeanStd(0.853, 0.012, 1, { percent: true }), '85.3 ± 1.2');
  assert.equal(formatMeanStd(85.26, 1.24, 1), '85.3 ± 1.2');
  assert.equal(formatMeanStd(0.5, 0, 3), '0.500 ± 0.000');
  assert.equal(formatMeanStd(NaN, 0, 1), 'n/a ± 0.0');
});

test('csvTable quotes commas, quotes and line breaks and leaves null empty', () => {
  const csv = csvTable(['name', 'note', 'value'], [
    ['a,b', 'say "hi"', 1.5],
    ['plain', 'line\nbreak', null],
  ]);
  assert.equal(csv, 'name,note,value\n"a,b","say ""hi""",1.5\nplain,"line\nbreak",\n');
  assert.throws(() => csvTable(['a'], [[1, 2]]), /row 0 has 2 cells/);
});
