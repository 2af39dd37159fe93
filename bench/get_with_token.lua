-- wrk script: authenticated GET. TOKEN comes from the environment.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
