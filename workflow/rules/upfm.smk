# Stage: upfm (rules are added by its issue).
