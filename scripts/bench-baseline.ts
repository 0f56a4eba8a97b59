/** Baseline for npm run bench: a bare express app answering a constant JSON body on PORT. */
import express from 'express';

const app = express();
const body = { major: 6, minor: 20, build: 'baseline' };
app.get('/', (_req, res) => {
  res.json(body);
});
app.listen(Number(process.env.PORT), '127.0.0.1');
