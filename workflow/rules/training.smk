# Stage: training (rules are added by its issue).
