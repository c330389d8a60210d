# Stage: figures (rules are added by its issue).
