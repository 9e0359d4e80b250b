# The zego receiver in Datadog, as code: the dashboard (dashboard.json), every monitor of
# ../alerts/datadog and the metadata (unit, description, short name) of every metric the receiver
# emits and of its own telemetry, read from metadata.yaml. README.md, "Sending to Datadog", shows
# how to use it; deploy/datadog/datadog_test.go checks it.

locals {
  metadata = yamldecode(file("${path.module}/../../metadata.yaml"))

  # metadata.yaml's units (UCUM) as Datadog names them; null where Datadog has no such unit. A
  # dimensionless "1" is a fraction (0-1) when the value is a double, and no unit when it is an
  # integer (the leader gauge, 0 or 1).
  datadog_units = {
    "%"        = "percent"
    "ms"       = "millisecond"
    "s"        = "second"
    "1"        = "fraction"
    "{user}"   = "user"
    "{task}"   = "task"
    "{sample}" = "sample"
    "{call}"   = "request"
    "{stream}" = null
    "{room}"   = null
    "{point}"  = null
    "{poll}"   = null
  }

  # Datadog's name => metadata.yaml's entry. Telemetry keeps the name OTLP carries (otelcol_...).
  metrics = merge(
    { for name, m in local.metadata.metrics : name => merge(m, { short_name = replace(trimprefix(trimprefix(name, "zego.realtime."), "zego."), "/[._]/", " ") }) },
    { for name, m in local.metadata.telemetry.metrics : "otelcol_${name}" => merge(m, { short_name = replace(trimprefix(name, "receiver_zego_"), "_", " ") }) },
  )

  # ZEGO's points reach Datadog up to data_delay plus one interval after their time (6m1s by
  # default): the monitors on them look that far back, rounded up to whole minutes (7m).
  evaluation_delay = {
    realtime = ceil((var.data_delay_seconds + var.collection_interval_seconds) / 60) * 60
    region   = ceil((var.data_delay_seconds + var.region_collection_interval_seconds) / 60) * 60
  }

  monitors = {
    for f in fileset("${path.module}/../alerts/datadog", "*.json") :
    trimsuffix(f, ".json") => jsondecode(file("${path.module}/../alerts/datadog/${f}"))
  }
}

resource "datadog_dashboard_json" "zego" {
  dashboard = file("${path.module}/dashboard.json")
}

resource "datadog_monitor_json" "zego" {
  for_each = local.monitors

  monitor = jsonencode(merge(each.value, {
    # The dashboard, filtered to the App ID (and the country) of the alert, then whom to notify.
    message = join("", [
      each.value.message,
      "\n\nDashboard: ${var.app_url}${datadog_dashboard_json.zego.url}?tpl_var_app_id={{[zego.app_id].name}}",
      length(regexall("geo\\.country\\.iso_code", each.value.query)) > 0 ? "&tpl_var_country={{[geo.country.iso_code].name}}" : "",
      "\n\n${var.notify}",
    ])
    tags = concat(each.value.tags, var.tags)
    options = merge(each.value.options, can(each.value.options.evaluation_delay) ? {
      evaluation_delay = local.evaluation_delay[length(regexall(":zego\\.region\\.", each.value.query)) > 0 ? "region" : "realtime"]
    } : {})
  }))
}

resource "datadog_metric_metadata" "zego" {
  for_each = local.metrics

  metric      = each.key
  type        = can(each.value.sum) ? "count" : "gauge"
  unit        = each.value.unit == "1" && try(each.value.gauge.value_type, each.value.sum.value_type) == "int" ? null : local.datadog_units[each.value.unit]
  per_unit    = null # no metric here is a rate: the counters arrive as counts per interval
  description = each.value.description
  short_name  = each.value.short_name
}
