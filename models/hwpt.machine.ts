import { setup } from 'xstate';

/**
 * Order matters: the index of an event here is its number in the compiled
 * table and in `HwptEv`.
 */
export const HWPT_EVENTS = ['FINALIZE', 'ABORT', 'LOOKUP', 'ATTACH', 'DETACH', 'REMOVE', 'FREE'] as const;
export type HwptEvent = { type: (typeof HWPT_EVENTS)[number] };

/**
 * Lifecycle of one struct iommufd_hw_pagetable and its xarray slot.
 *
 * Refusals that are the point of the model:
 * - LOOKUP in `reserved` is bug Z2: another thread found an object whose slot
 *   still holds XA_ZERO_ENTRY and whose setup may yet be aborted;
 * - ATTACH in `destroying` is bug Z5: a device took a new reference on a HWPT
 *   whose users already reached zero and whose slot is gone;
 * - nothing is accepted after `freed` or `aborted`: that is a use after free.
 *
 * Self-transitions carry an explicit target: XState treats a transition with
 * neither target nor actions as forbidden, so `can()` would report false.
 */
export const hwptMachine = setup({
  types: {
    events: {} as HwptEvent,
  },
}).createMachine({
  id: 'hwpt',
  description: 'struct iommufd_hw_pagetable from _iommufd_object_alloc to kfree',
  initial: 'reserved',
  states: {
    reserved: {
      description:
        '_iommufd_object_alloc reserved the id; the xarray slot holds XA_ZERO_ENTRY so lookups must fail',
      on: {
        FINALIZE: {
          target: 'live',
          description: 'iommufd_object_finalize: stores the object in its slot, making it visible to lookups',
        },
        ABORT: {
          target: 'aborted',
          description: 'iommufd_object_abort / iommufd_object_abort_and_destroy: releases the id and frees',
        },
        ATTACH: {
          target: 'reserved',
          description:
            'The creator attaches before finalize: immediate_attach in iommufd_hw_pagetable_alloc, do_attach in iommufd_device_auto_get_domain',
        },
        DETACH: {
          target: 'reserved',
          description: 'out_detach unwind of iommufd_hw_pagetable_alloc before the abort',
        },
      },
    },
    live: {
      description: 'Finalized: reachable through the xarray by any thread',
      on: {
        LOOKUP: {
          target: 'live',
          description: 'iommufd_get_object / iommufd_lock_obj succeeded and took a users reference',
        },
        ATTACH: {
          target: 'live',
          description: 'iommufd_device_attach / iommufd_device_replace onto this HWPT',
        },
        DETACH: {
          target: 'live',
          description: 'iommufd_device_detach / iommufd_device_replace away from this HWPT',
        },
        REMOVE: {
          target: 'destroying',
          description: 'iommufd_object_remove succeeded: users reached 0 and the slot was erased',
        },
      },
    },
    destroying: {
      description: 'Removed from the xarray; only the destroy op and kfree may follow',
      on: {
        FREE: {
          target: 'freed',
          description: 'iommufd_object_ops destroy (iommufd_hw_pagetable_destroy) ran, then kfree',
        },
      },
    },
    freed: {
      type: 'final',
      description: 'kfree done: any further event is a use after free',
    },
    aborted: {
      type: 'final',
      description: 'iommufd_object_abort released the reserved id and freed the object',
    },
  },
});
