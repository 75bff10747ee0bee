{{/* Names ---------------------------------------------------------------------------------- */}}

{{- define "speks.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's base name; component suffixes (-serve, -worker ...) keep it under 63. */}}
{{- define "speks.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "speks.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels ---------------------------------------------------------------------------------- */}}

{{- define "speks.selectorLabels" -}}
app.kubernetes.io/name: {{ include "speks.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "speks.labels" -}}
helm.sh/chart: {{ include "speks.chart" . }}
{{ include "speks.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: speks
{{- end }}

{{/* Selector labels of one component: (dict "root" $ "component" "serve") */}}
{{- define "speks.componentSelectorLabels" -}}
{{ include "speks.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "speks.componentLabels" -}}
{{ include "speks.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "speks.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "speks.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "speks.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Configuration ---------------------------------------------------------------------------- */}}

{{/*
The non-secret SPEKS_* variables, as YAML key: value lines. The ConfigMap holds exactly these,
and the migration hook Job carries the same lines inline (see migrate-job.yaml for why), so the
two cannot drift apart.
*/}}
{{- define "speks.configEnv" -}}
SPEKS_MODE: production
SPEKS_PLATFORM_HOST: {{ required "config.platformHost is required (the JANM platform console's host, e.g. platform.ispeks.gov.my)" .Values.config.platformHost | quote }}
SPEKS_HTTP_LISTEN: ":8080"
SPEKS_HTTP_SHUTDOWN_TIMEOUT: {{ printf "%ds" (int .Values.config.shutdownTimeoutSeconds) | quote }}
SPEKS_LOG_LEVEL: {{ .Values.config.logLevel | quote }}
SPEKS_LOG_FORMAT: {{ .Values.config.logFormat | quote }}
SPEKS_DATABASE_MAX_CONNS: {{ .Values.config.database.maxConns | int | quote }}
SPEKS_DATABASE_ACQUIRE_TIMEOUT: {{ .Values.config.database.acquireTimeout | quote }}
SPEKS_DATABASE_CONN_MAX_IDLE_TIME: {{ .Values.config.database.connMaxIdleTime | quote }}
SPEKS_FEEDS_MAX_BODY_BYTES: {{ .Values.config.feedsMaxBodyBytes | int64 | quote }}
{{- with .Values.config.trustedProxies }}
SPEKS_HTTP_TRUSTED_PROXIES: {{ join "," . | quote }}
{{- end }}
{{- with .Values.config.mailFrom }}
SPEKS_MAIL_FROM: {{ . | quote }}
{{- end }}
SPEKS_METRICS_LISTEN: {{ printf ":%d" (int .Values.metrics.port) | quote }}
{{- range $key, $value := .Values.config.extraEnv }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- end }}

{{/*
The secret configuration: env entries that reference Secrets by name. A missing name stops the
render, so a release can never start with an empty database URL or the dev secrets.
*/}}
{{- define "speks.secretEnv" -}}
{{- $s := .Values.secrets -}}
- name: SPEKS_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.database.existingSecret is required: the name of the Secret holding database.url (see the chart README)" $s.database.existingSecret | quote }}
      key: {{ $s.database.key | quote }}
{{- with $s.databaseDirect.existingSecret }}
- name: SPEKS_DATABASE_DIRECT_URL
  valueFrom:
    secretKeyRef:
      name: {{ . | quote }}
      key: {{ $s.databaseDirect.key | quote }}
{{- end }}
- name: SPEKS_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.redis.existingSecret is required: the name of the Secret holding redis.url (see the chart README)" $s.redis.existingSecret | quote }}
      key: {{ $s.redis.key | quote }}
- name: SPEKS_SMTP_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.smtp.existingSecret is required: the name of the Secret holding smtp.url (see the chart README)" $s.smtp.existingSecret | quote }}
      key: {{ $s.smtp.key | quote }}
- name: SPEKS_SECRETS_SESSION
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.session.existingSecret is required: the name of the Secret holding secrets.session (see the chart README)" $s.session.existingSecret | quote }}
      key: {{ $s.session.key | quote }}
- name: SPEKS_SECRETS_DECOY
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.decoy.existingSecret is required: the name of the Secret holding secrets.decoy (see the chart README)" $s.decoy.existingSecret | quote }}
      key: {{ $s.decoy.key | quote }}
{{- end }}

{{/* The environment of a long-running pod: the ConfigMap, then the secret references. */}}
{{- define "speks.podEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "speks.fullname" . }}
env:
{{- include "speks.runtimeEnv" . | nindent 2 }}
{{- include "speks.secretEnv" . | nindent 2 }}
{{- end }}

{{/*
The Go runtime's soft memory limit, in bytes, from the container's memory limit: the garbage
collector works harder near the limit instead of letting the kernel kill the pod.
*/}}
{{- define "speks.runtimeEnv" -}}
- name: GOMEMLIMIT
  valueFrom:
    resourceFieldRef:
      resource: limits.memory
{{- end }}

{{/* Pod template annotations: a change of the configuration rolls the pods. */}}
{{- define "speks.podAnnotations" -}}
checksum/config: {{ include "speks.configEnv" . | sha256sum }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Security ---------------------------------------------------------------------------------- */}}

{{/* UID/GID 65532 is distroless's nonroot user, as in cmd/speks/Dockerfile. */}}
{{- define "speks.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "speks.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The only writable path: /tmp (uploads spooled by the feed import, PDF scratch). */}}
{{- define "speks.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{- define "speks.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Pod-level scheduling and identity shared by every Deployment: (dict "root" $ "affinity" ...) */}}
{{- define "speks.podCommon" -}}
{{- $root := .root -}}
serviceAccountName: {{ include "speks.serviceAccountName" $root }}
automountServiceAccountToken: false
securityContext:
  {{- include "speks.podSecurityContext" $root | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Grace period of a pod that drains for `extra` seconds before the shutdown timeout runs:
(dict "root" $ "explicit" N "extra" M). An explicit value that does not cover the shutdown
would let the kubelet SIGKILL a pod mid-request, so it is refused.
*/}}
{{- define "speks.gracePeriod" -}}
{{- $needed := add (int .root.Values.config.shutdownTimeoutSeconds) (int .extra) -}}
{{- $explicit := int .explicit -}}
{{- if eq $explicit 0 -}}
{{- add $needed 10 -}}
{{- else if le $explicit $needed -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be larger than the shutdown timeout plus preStop sleep (%d)" $explicit $needed) -}}
{{- else -}}
{{- $explicit -}}
{{- end -}}
{{- end }}

{{/* NetworkPolicy egress, when restricted: DNS first, then the operator's rules (PostgreSQL, Redis, SMTP). */}}
{{- define "speks.networkPolicyEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{ toYaml . }}
{{- end }}

{{/*
The probes of a process that serves no web traffic (worker, scheduler), on health.listen:
/healthz never depends on anything (a restart does not bring Redis back), /readyz on what the
process needs. speks.healthEnv extends speks.podEnv's env list (include it right after, one
level deeper); speks.healthProbes adds the port and the probes.
*/}}
{{- define "speks.healthEnv" -}}
- name: SPEKS_HEALTH_LISTEN
  value: ":{{ .Values.health.port }}"
{{- end }}

{{- define "speks.healthProbes" -}}
ports:
  - name: health
    containerPort: {{ .Values.health.port }}
    protocol: TCP
readinessProbe:
  httpGet:
    path: /readyz
    port: health
  {{- toYaml .Values.health.readinessProbe | nindent 2 }}
livenessProbe:
  httpGet:
    path: /healthz
    port: health
  {{- toYaml .Values.health.livenessProbe | nindent 2 }}
{{- end }}
