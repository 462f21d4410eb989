output "serving_role_arn" {
  description = "Task role of the serving tier: reads the feature tables only."
  value       = aws_iam_role.serving.arn
}

output "task_execution_role_arn" {
  description = "Execution role of the serving task (image pull, logs, secret injection)."
  value       = aws_iam_role.task_execution.arn
}

output "sync_role_arn" {
  description = "Job runtime role of `groundwork sync` on EMR Serverless: writes the feature tables."
  value       = aws_iam_role.sync.arn
}

output "compute_role_arn" {
  description = "Job runtime role of the feature Spark jobs on EMR Serverless."
  value       = aws_iam_role.compute.arn
}
