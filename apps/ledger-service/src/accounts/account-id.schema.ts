// Account ids on the wire: any letter case, lower-cased at the edge (see idSchema in the contracts).
export { idSchema as accountIdSchema } from '@oncepay/contracts';
