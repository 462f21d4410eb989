"""Feature definitions (Feast), the Spark jobs that compute them, and the travel sample data."""
