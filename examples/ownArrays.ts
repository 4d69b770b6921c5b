// MAT on your own arrays: XRM twins give held-out logits, MAT trains on the shifted logits.
// Run: npm run build && node dist/examples/ownArrays.js
import { makeSpuriousEmbeddings, mlp, runXrm, matShift, train, evaluate, type Dataset, type ExecutionOptions } from '../src/index.js';

export async function trainMatOnArrays(ds: Dataset, opts: { steps?: number; execution?: ExecutionOptions } = {}) {
  const model = mlp([ds.dim, ds.numClasses]); // a linear head
  const optimizer = { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 } as const;
  const common = { model, optimizer, lr: 1e-3, steps: opts.steps ?? 2000, batchSize: 128, execution: opts.execution };
  const heldOut = await runXrm(ds, { ...common, seed: 0 }); // held-out logits for every training example
  const shift = matShift(heldOut.heldOutLogits, ds.train.y, ds.numClasses, 0.1); // log p_ho(y | x), τ = 0.1
  const { classifier } = await train(ds, { ...common, evalEvery: 0, seed: 0 }, { shift });
  const test = await evaluate(classifier.predictor, ds, 'test'); // no shift at test time
  await classifier.dispose();
  return test;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // Stand-in for your arrays: x Float32Array (n × d, row-major), y and a Int32Array, per split.
  const ds = makeSpuriousEmbeddings({ seed: 0 });
  const test = await trainMatOnArrays(ds);
  console.log(`test average ${test.avgAcc.toFixed(3)}, worst-group ${test.worstGroupAcc.toFixed(3)}`);
}
