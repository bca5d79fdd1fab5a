// Inputs the text reader (view.ts) once read otherwise than the object path does, or than event-ruler does.

import { describe, expect, it } from '@jest/globals';
import { compilePattern } from './index';

describe('inputs once misread', () => {
  it('reads a key starting with a dot (".a") as the empty name, then a, as the object path does', () => {
    const pattern = compilePattern({ '.a': [5], b: { '': { c: ['x'] } } });
    const text = '{".a": 5, "b": {".c": "x"}}';

    expect([pattern.matches(text), pattern.matches(JSON.parse(text))]).toEqual([true, true]);
  });

  it('reads a gated field given again whose name has a lone surrogate, which JSON text may hold unescaped', () => {
    const pattern = compilePattern({ '\ud800': ['yes'] });
    const text = '{"\ud800": "no", "x": 1, "\ud800": "yes"}';

    expect([pattern.matches(text), pattern.matches({ '\ud800': ['no', 'yes'], x: 1 })]).toEqual([true, true]);
  });
});
