"""Load tests: the app served on loopback by a real WSGI server, Locust driving every route.

One job per module:

- :mod:`~testboost.load.plan` turns what the exploration saw into a :class:`LoadPlan` (one realistic
  request per route, its weight, the login, the defects the scan found);
- :mod:`~testboost.load.locustfile` writes that plan as a plain Locust file;
- :mod:`~testboost.load.sqlcount` counts SQL statements per request inside the served app;
- :mod:`~testboost.load.server` serves a WSGI app with gunicorn, or waitress where gunicorn cannot run;
- :mod:`~testboost.load.serve` is the server process: sandbox, exploration, plan, then serving;
- :mod:`~testboost.load.processes` starts and always ends the server and Locust processes;
- :mod:`~testboost.load.runner` runs one load test from start to end;
- :mod:`~testboost.load.stats` reads Locust's CSV back, :mod:`~testboost.load.render` prints it.

Locust monkey-patches the whole process with gevent, so it only ever runs in processes of its
own; nothing here imports it.
"""
