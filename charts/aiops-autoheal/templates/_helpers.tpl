{{/*
The manifests of one file under files/ (links to k8s/), one YAML document each, as a list of
objects in a dict {"items": [...]} (templates can only return strings, so callers fromYaml it).
*/}}
{{- define "aiops.read" -}}
{{- $items := list -}}
{{- range $doc := splitList "\n---\n" (.root.Files.Get .path) -}}
{{- $o := fromYaml $doc -}}
{{- if $o.kind -}}{{- $items = append $items $o -}}{{- end -}}
{{- end -}}
{{- toYaml (dict "items" $items) -}}
{{- end -}}

{{/* Every manifest of the files matching a glob, Kustomize's own files excluded. */}}
{{- define "aiops.readGlob" -}}
{{- $root := .root -}}
{{- $items := list -}}
{{- range $path, $_ := $root.Files.Glob .glob -}}
{{- if not (or (hasSuffix "kustomization.yaml" $path) (hasSuffix ".template.yaml" $path)) -}}
{{- $items = concat $items (fromYaml (include "aiops.read" (dict "root" $root "path" $path))).items -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "items" $items) -}}
{{- end -}}

{{/* The labels every object gets: the base's part-of (as k8s/base/kustomization.yaml) and Helm's. */}}
{{- define "aiops.labels" -}}
app.kubernetes.io/part-of: aiops-autoheal
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* One object as a YAML document: labels added, namespace set unless cluster-scoped or set. */}}
{{- define "aiops.emit" -}}
{{- $o := .object -}}
{{- $meta := $o.metadata -}}
{{- $_ := set $meta "labels" (merge (fromYaml (include "aiops.labels" .root)) ($meta.labels | default dict)) -}}
{{- if and (not (has $o.kind (list "CustomResourceDefinition" "ValidatingAdmissionPolicy" "ValidatingAdmissionPolicyBinding" "ClusterIssuer" "Namespace"))) (not $meta.namespace) -}}
{{- $_ := set $meta "namespace" .root.Release.Namespace -}}
{{- end }}
---
{{ toYaml $o }}
{{- end -}}

{{/* image reference from {repository, tag, digest} */}}
{{- define "aiops.image" -}}
{{- if .digest -}}{{ .repository }}@{{ .digest }}{{- else -}}{{ .repository }}:{{ .tag }}{{- end -}}
{{- end -}}
