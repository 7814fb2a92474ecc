{{- define "inference-balancer.labels" -}}
app: {{ .Values.app | quote }}
version: {{ .Values.version | quote }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
