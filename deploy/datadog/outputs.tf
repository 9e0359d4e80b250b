output "dashboard_url" {
  description = "The dashboard's address."
  value       = "${var.app_url}${datadog_dashboard_json.zego.url}"
}

output "monitor_ids" {
  description = "Each monitor's ID, by its file name under deploy/alerts/datadog."
  value       = { for name, m in datadog_monitor_json.zego : name => m.id }
}
