// Linux errno values the model returns, by name.
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOMEM: 12,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
} as const;
export type ErrnoName = keyof typeof Errno;

/**
 * A kernel function's error return (ERR_PTR / negative int), carried as an exception.
 * Not an Error: errors are a normal outcome on the hot path and a stack trace costs more
 * than the rest of the step.
 */
export class KErr {
  constructor(readonly errno: ErrnoName) {}
  toString(): string {
    return this.errno;
  }
}

/** Result of an emulated syscall or kAPI call: 'ok' or the errno name. */
export type OpResult = 'ok' | ErrnoName;
