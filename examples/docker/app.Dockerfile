# One Gunicorn instance of examples/docker/app.py (sync workers, as most WSGI shops run them).
FROM python:3.12-slim
RUN pip install --no-cache-dir gunicorn==22.0.0
WORKDIR /app
COPY app.py .
EXPOSE 8000
CMD ["gunicorn", "--workers", "2", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "app:application"]
