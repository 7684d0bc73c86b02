{{- define "sluice.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sluice.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sluice.labels" -}}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
What `sluice run` does in every namespace it watches: the rules of the cluster-wide ClusterRole,
or of one Role per namespace when .Values.watchNamespaces lists them.
*/}}
{{- define "sluice.daemonRules" -}}
# Watch shifts, patch them (commands, finalizer), write their status.
- apiGroups: [sluice.dev]
  resources: [trafficshifts]
  verbs: [get, list, watch, update, patch]
- apiGroups: [sluice.dev]
  resources: [trafficshifts/status]
  verbs: [update, patch]
- apiGroups: [sluice.dev]
  resources: [trafficshifts/finalizers]
  verbs: [update]
# The VirtualService and DestinationRule each shift owns. No delete: deleting a shift pins or
# restores its routes and never removes them (docs/adr/0004).
- apiGroups: [networking.istio.io]
  resources: [virtualservices, destinationrules]
  verbs: [get, list, watch, create, update, patch]
# Readiness of each version's pods behind the shifted Service.
- apiGroups: [""]
  resources: [pods, services]
  verbs: [list, watch]
# One Event per decision, counted when repeated.
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- if .Values.gatewayAPI.enabled }}
# spec.routing: gatewayAPI (gatewayAPI.enabled): the HTTPRoute each shift owns (watched, created,
# replaced; never deleted, like its VirtualService) and one Service per routed version (created,
# merge-patched, deleted with a resourceVersion precondition once no route names it; read from the
# API server before a route write names it, as the cache may lag its deletion).
- apiGroups: [gateway.networking.k8s.io]
  resources: [httproutes]
  verbs: [list, watch, create, update]
- apiGroups: [""]
  resources: [services]
  verbs: [get, create, patch, delete]
{{- end }}
{{- if .Values.hooks.readSecrets }}
# The Secrets shifts name for webhook signing keys and chat URLs (hooks.readSecrets): get only.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
{{- end }}
{{- end -}}

{{/* The watched namespaces, checked: DNS labels, each once. */}}
{{- define "sluice.watchNamespaces" -}}
{{- range .Values.watchNamespaces -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" (toString .)) -}}
{{- fail (printf "watchNamespaces: %q is not a namespace name (expected lower-case letters, digits and \"-\")" (toString .)) -}}
{{- end -}}
{{- end -}}
{{- .Values.watchNamespaces | uniq | toJson -}}
{{- end -}}

{{/*
"true" when the command-author policy is rendered: enabled, and MutatingAdmissionPolicy v1 exists
(Kubernetes 1.36+). On older clusters it is left out and the daemon records names unverified.
*/}}
{{- define "sluice.commandAuthorPolicy" -}}
{{- if and .Values.commandAuthorPolicy.enabled (semverCompare ">=1.36.0-0" .Capabilities.KubeVersion.Version) -}}
true
{{- end -}}
{{- end -}}
