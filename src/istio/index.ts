/** Istio rendering and ownership: pure functions over plain objects (no API calls here). */
export * from './types';
export { canonicalJson, sameJson, sortKeys } from './canonical';
export { serviceFqdn, subsetName } from './names';
export { mergeMatch, previewMatches } from './match';
export { render, renderRoutes, renderTcp } from './render';
export type { RenderOptions, ShiftRef } from './render';
export { missingSubsets, routeProblems } from './safety';
export type { RoutesLike, SubsetsLike } from './safety';
export { decodeDestinationRule, decodeVirtualService, isManagedBySluice, owningShift } from './objects';
export type { ExistingDestinationRule, ExistingVirtualService } from './objects';
export { ownershipProblem, planWrites } from './writes';
export type { CurrentObjects, Write } from './writes';
export { hostsPolicy, ownHosts, parseHostsPolicyFlags } from './hostsPolicy';
export type { GatewayRule, HostRule, HostsPolicyConfig, SpecPolicy } from './hostsPolicy';
export { adoptionProblem } from './adopt';
export { liveUserRoutes, renderUserRoute } from './userRoutes';
