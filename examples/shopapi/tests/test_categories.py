import unittest

from examples.shopapi import create_app


class CategoryApiTests(unittest.TestCase):
    def setUp(self):
        self.app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        self.client = self.app.test_client()

    def test_list_starts_empty(self):
        resp = self.client.get("/api/categories")
        self.assertEqual(resp.status_code, 200)
        self.assertEqual(resp.get_json(), [])

    def test_create_requires_token(self):
        resp = self.client.post("/api/categories", json={"name": "Kitchen"})
        self.assertEqual(resp.status_code, 401)
        self.assertIn("msg", resp.get_json())

    def test_category_detail_missing(self):
        resp = self.client.get("/api/categories/1")
        print(resp.status_code, resp.get_json())
