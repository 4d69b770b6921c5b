import * as echarts from 'echarts';
const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 400, height: 300 });
chart.setOption({ animation: false, legend: {}, xAxis: { type: 'value' }, yAxis: { type: 'value' }, series: [{ name: 'ERM train', type: 'line', data: [[0, 1], [1, 2]] }, { name: 'b', type: 'scatter', data: [[0.5, 1]] }, {name:'box', type:'boxplot', data:[[0,0.2,0.4,0.6,1]]}] });
const s = chart.renderToSVGString(); console.log(s.length, s.slice(0, 300)); console.log((s.match(/<path/g)||[]).length, s.includes('ERM train'));
