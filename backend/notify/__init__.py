"""Notification e-mails: composed here, sent over SMTP, stored so that none goes out twice."""
