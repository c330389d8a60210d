# Stage: generalization (rules are added by its issue).
