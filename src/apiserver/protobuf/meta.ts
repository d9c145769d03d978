// k8s.io/apimachinery/pkg/apis/meta/v1 messages every object carries.
import { LIST, PTR, bool, int, map, message, msg, str, time } from './schema.js';

const ownerReference = message('meta.v1.OwnerReference', {
  1: str('kind'), 3: str('name'), 4: str('uid'), 5: str('apiVersion'), 6: bool('controller', PTR), 7: bool('blockOwnerDeletion', PTR),
});

const managedFieldsEntry = message('meta.v1.ManagedFieldsEntry', {
  1: str('manager'), 2: str('operation'), 3: str('apiVersion'), 4: time('time'), 6: str('fieldsType'),
  7: { name: 'fieldsV1', type: 'json' }, 8: str('subresource'),
});

export const objectMeta = message('meta.v1.ObjectMeta', {
  1: str('name'), 2: str('generateName'), 3: str('namespace'), 4: str('selfLink'), 5: str('uid'), 6: str('resourceVersion'),
  7: int('generation'), 8: time('creationTimestamp'), 9: time('deletionTimestamp'), 10: int('deletionGracePeriodSeconds', PTR),
  11: map('labels'), 12: map('annotations'), 13: msg('ownerReferences', ownerReference, LIST), 14: str('finalizers', LIST),
  17: msg('managedFields', managedFieldsEntry, LIST),
});

export const metadata = msg('metadata', objectMeta);

const labelSelectorRequirement = message('meta.v1.LabelSelectorRequirement', { 1: str('key'), 2: str('operator'), 3: str('values', LIST) });

export const labelSelector = message('meta.v1.LabelSelector', {
  1: map('matchLabels'), 2: msg('matchExpressions', labelSelectorRequirement, LIST),
});
