output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "gpu_capacity_provider_name" {
  description = "Capacity provider backed by the GPU Auto Scaling group."
  value       = aws_ecs_capacity_provider.gpu.name
  # Services may only name a capacity provider once it is attached to the cluster.
  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

output "gpu_autoscaling_group_name" {
  description = "Name of the GPU Auto Scaling group."
  value       = aws_autoscaling_group.this.name
}

output "instance_security_group_id" {
  description = "Security group of the GPU container instances."
  value       = aws_security_group.instance.id
}
