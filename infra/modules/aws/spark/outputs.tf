output "application_id" {
  description = "ID of the EMR Serverless application (for `aws emr-serverless start-job-run`)."
  value       = aws_emrserverless_application.spark.id
}

output "application_arn" {
  description = "ARN of the EMR Serverless application."
  value       = aws_emrserverless_application.spark.arn
}

output "bucket_name" {
  description = "Name of the bucket holding raw data, feature tables, job code and logs."
  value       = aws_s3_bucket.features.bucket
}

output "bucket_arn" {
  description = "ARN of that bucket."
  value       = aws_s3_bucket.features.arn
}

output "feature_tables_uri" {
  description = "S3 URI of the feature tables, one prefix per view (`<uri>/<view>`)."
  value       = "s3://${aws_s3_bucket.features.bucket}/feature_tables"
}

output "security_group_id" {
  description = "Security group of the Spark jobs."
  value       = aws_security_group.jobs.id
}
