-- wrk script: POST Create an IDV Session. USER_ID and TOKEN come from the environment.
wrk.method = "POST"
wrk.body = '{"ReturnUrl":"https://example.com/back","Tag":"bench"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
