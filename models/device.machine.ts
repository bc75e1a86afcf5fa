import { setup } from 'xstate';

/**
 * Order matters: the index of an event here is its number in the compiled
 * table and in `DevEv`.
 */
export const DEVICE_EVENTS = ['BIND', 'ATTACH', 'REPLACE', 'DETACH', 'UNBIND'] as const;
export type DeviceEvent = { type: (typeof DEVICE_EVENTS)[number] };

/**
 * Lifecycle of one struct iommufd_device as seen by the emulated kernel.
 *
 * Any event missing from a state's `on` is a violation on purpose:
 * - REPLACE while only bound is bug Z4 (replacing the domain of a device that
 *   was never attached, so there is no old HWPT to drop a reference on);
 * - UNBIND while attached is the caller misuse iommufd_device_unbind WARNs
 *   about (the attach still holds the group and a HWPT reference);
 * - ATTACH while attached would add the device to the group's device list a
 *   second time and corrupt it.
 *
 * Self-transitions carry an explicit target: XState treats a transition with
 * neither target nor actions as forbidden, so `can()` would report false.
 */
export const deviceMachine = setup({
  types: {
    events: {} as DeviceEvent,
  },
}).createMachine({
  id: 'device',
  description: 'struct iommufd_device from iommufd_device_bind to iommufd_device_unbind',
  initial: 'unbound',
  states: {
    unbound: {
      description: 'No iommufd_device exists (before iommufd_device_bind or after iommufd_device_unbind)',
      on: {
        BIND: {
          target: 'bound',
          description: 'iommufd_device_bind: allocates the device object and takes the iommu group',
        },
      },
    },
    bound: {
      description: 'Bound by iommufd_device_bind, not attached to any HWPT/IOAS',
      on: {
        ATTACH: {
          target: 'attached',
          description: 'iommufd_device_attach: joins the group to a HWPT (auto-allocated for an IOAS)',
        },
        UNBIND: {
          target: 'unbound',
          description: 'iommufd_device_unbind: destroys the device object; only legal once detached',
        },
      },
    },
    attached: {
      description: 'Attached by iommufd_device_attach; the group holds a reference on its HWPT',
      on: {
        REPLACE: {
          target: 'attached',
          description: 'iommufd_device_replace: swaps the HWPT of an attached group, staying attached',
        },
        DETACH: {
          target: 'bound',
          description: 'iommufd_device_detach: leaves the HWPT and drops the reference the attach took',
        },
      },
    },
  },
});
