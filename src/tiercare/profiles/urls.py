from django.urls import path

from tiercare.profiles import views

app_name = "profiles"

urlpatterns = [
    path("experts/", views.expert_list, name="experts"),
    path("experts/<str:slug>/", views.expert_page, name="expert"),
    path("experts/<str:slug>/articles/<uuid:article_id>/", views.article_page, name="article"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("profiles/reviews/", views.my_reviews, name="my_reviews"),
    path("profiles/reviews/visit/<uuid:booking_id>/", views.review_booking, name="review_booking"),
    path("profiles/reviews/opinion/<uuid:opinion_id>/", views.review_opinion, name="review_opinion"),
    path("profiles/reviews/online/<uuid:consult_id>/", views.review_online, name="review_online"),
    path("profiles/mine/", views.mine, name="mine"),
    path("profiles/mine/articles/new/", views.article_new, name="article_new"),
    path("profiles/mine/articles/<uuid:article_id>/", views.article_edit, name="article_edit"),
    path("profiles/mine/reviews/<uuid:review_id>/reply/", views.review_reply, name="review_reply"),
    path("profiles/moderation/", views.moderation, name="moderation"),
    path("profiles/moderation/articles/<uuid:article_id>/", views.moderate_article, name="moderate_article"),
    path("profiles/moderation/reviews/<uuid:review_id>/hide/", views.moderate_review, name="moderate_review"),
]
