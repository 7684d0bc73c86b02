/** Gateway API rendering and planning (spec.routing: gatewayAPI): pure functions over plain objects. */
export * from './types';
export { versionServiceName } from './names';
export { FOR_SERVICE_LABEL, parentRefsOf, renderGateway, versionService } from './render';
export type { ParentService } from './render';
export { gatewaySpecErrors } from './check';
export { NOT_EXPRESSIBLE, quoteRegex, toFilters, toRouteMatch, toRouteMatches } from './translate';
export { backendNames, decodeHTTPRoute, decodeService, weightedBackends } from './objects';
export type { ExistingHTTPRoute, ExistingService } from './objects';
export { gatewayOwnershipProblem, ownsService, planGatewayRelease, planGatewayWrites } from './writes';
export type { GatewayCurrent, GatewayPlan, GatewayWrite } from './writes';
export { httpRouteProblems } from './safety';
