import airflow
def make(name, **kw):
    return airflow.DAG(dag_id=name, catchup=False, **kw)
dag = make("generated", tags=["x"])
t = [op for op in range(3)]
