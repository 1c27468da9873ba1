{{/* Chart name, at most 63 characters. */}}
{{- define "scx-slo.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the release name, or release-chart when they differ. */}}
{{- define "scx-slo.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "scx-slo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scx-slo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "scx-slo.labels" -}}
{{ include "scx-slo.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: scx-slo
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "scx-slo.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "scx-slo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "scx-slo.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "scx-slo.prometheusAnnotations" -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end -}}

{{/*
"true" when the pods carry the prometheus.io/* annotations: the one way a
Prometheus without the Operator finds them.  Off with the PodMonitor, which
would otherwise scrape them a second time under an annotation-based job.
*/}}
{{- define "scx-slo.scrapeAnnotations" -}}
{{- if and .Values.metrics.annotations (not .Values.monitoring.podMonitor.enabled) -}}
true
{{- end -}}
{{- end -}}
