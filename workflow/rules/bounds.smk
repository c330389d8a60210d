# Stage: bounds (rules are added by its issue).
