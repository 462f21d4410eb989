output "table_arns" {
  description = "ARN of each feature view's table, by view name."
  value       = { for view, table in aws_dynamodb_table.feature_view : view => table.arn }
}

output "table_names" {
  description = "Name of each feature view's table, by view name."
  value       = { for view, table in aws_dynamodb_table.feature_view : view => table.name }
}
