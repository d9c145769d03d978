// Validation of metav1.LabelSelector values inside objects (ValidateLabelSelector).
import { isPlainObject } from '../../k8s/types.js';
import { labelValue, qualifiedName } from '../../k8s/names.js';
import { forbiddenField, invalidValue, notSupported, required, type FieldError } from '../errors.js';
import { asArray, objects } from './util.js';

export function validateLabels(labels: unknown, f: string, errs: FieldError[]): void {
  if (labels === undefined || labels === null) return;
  if (!isPlainObject(labels)) {
    errs.push(invalidValue(f, labels, 'must be a map of strings'));
    return;
  }
  for (const [k, v] of Object.entries(labels)) {
    for (const m of qualifiedName(k)) errs.push(invalidValue(f, k, m));
    if (typeof v !== 'string') errs.push(invalidValue(`${f}[${k}]`, v, 'must be a string'));
    else for (const m of labelValue(v)) errs.push(invalidValue(f, v, m));
  }
}

export function validateLabelSelector(sel: unknown, f: string, errs: FieldError[]): void {
  if (sel === undefined || sel === null) return;
  if (!isPlainObject(sel)) {
    errs.push(invalidValue(f, sel, 'must be a label selector'));
    return;
  }
  validateLabels(sel.matchLabels, `${f}.matchLabels`, errs);
  objects(sel.matchExpressions).forEach((e, i) => {
    const ef = `${f}.matchExpressions[${i}]`;
    const ops = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
    if (typeof e.key !== 'string' || e.key === '') errs.push(required(`${ef}.key`));
    else for (const m of qualifiedName(e.key)) errs.push(invalidValue(`${ef}.key`, e.key, m));
    if (!ops.includes(e.operator as string)) errs.push(notSupported(`${ef}.operator`, e.operator, ops));
    const n = asArray(e.values).length;
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0) errs.push(required(`${ef}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0) errs.push(forbiddenField(`${ef}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
  });
}
