variable "notify" {
  description = "Whom the monitors notify, as Datadog mentions them in a message, e.g. \"@pagerduty-zego @slack-zego-alerts\". Appended to every monitor's message."
  type        = string
}

variable "tags" {
  description = "Tags added to every monitor beside its own (service:otelcol-zego, alert:<Prometheus alert>, severity:<...>), e.g. [\"team:rtc\", \"env:prod\"]."
  type        = list(string)
  default     = []
}

variable "app_url" {
  description = "Your Datadog site's web address, for the dashboard links in the monitors' messages: https://app.datadoghq.com (US1), https://app.datadoghq.eu, https://us3.datadoghq.com, ..."
  type        = string
  default     = "https://app.datadoghq.com"
}

# The receiver's timing, as configured: the monitors on ZEGO's data wait for it (evaluation_delay).
variable "data_delay_seconds" {
  description = "The receiver's data_delay, in seconds (default 3m)."
  type        = number
  default     = 180
}

variable "collection_interval_seconds" {
  description = "The receiver's collection_interval, in seconds (default 3m1s)."
  type        = number
  default     = 181
}

variable "region_collection_interval_seconds" {
  description = "GetRegionQualityDetail's interval, in seconds: region_quality::collection_interval, by default 3m1s for one platform, 6m1s for two, 9m1s for three."
  type        = number
  default     = 181
}
